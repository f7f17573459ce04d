package se.patientkontrakt.fhir.hapi;

import ca.uhn.fhir.jpa.dao.ISearchBuilder;
import ca.uhn.fhir.jpa.dao.SearchBuilderFactory;
import ca.uhn.fhir.jpa.model.dao.JpaPid;
import org.hl7.fhir.instance.model.api.IBaseResource;
import org.springframework.beans.factory.ObjectProvider;
import org.springframework.beans.factory.config.BeanPostProcessor;
import org.springframework.stereotype.Component;

/**
 * Puts {@link WorklistSearchBuilder} around each search builder HAPI creates, by replacing HAPI's
 * {@link SearchBuilderFactory} with one that wraps what the original makes. HAPI makes a builder
 * per search through that factory, naming the resource type: the one way in to how a search is
 * run.
 */
@Component
class WorklistSearchBuilderPostProcessor implements BeanPostProcessor {

    private final ObjectProvider<OverdueWorklistQuery> overdue;

    WorklistSearchBuilderPostProcessor(ObjectProvider<OverdueWorklistQuery> overdue) {
        this.overdue = overdue;
    }

    @Override
    @SuppressWarnings("unchecked")
    public Object postProcessAfterInitialization(Object bean, String beanName) {
        if (bean instanceof SearchBuilderFactory<?> factory && !(bean instanceof WrappingFactory)) {
            return new WrappingFactory((SearchBuilderFactory<JpaPid>) factory, overdue);
        }
        return bean;
    }

    private static final class WrappingFactory extends SearchBuilderFactory<JpaPid> {
        private final SearchBuilderFactory<JpaPid> hapi;
        private final ObjectProvider<OverdueWorklistQuery> overdue;

        WrappingFactory(SearchBuilderFactory<JpaPid> hapi, ObjectProvider<OverdueWorklistQuery> overdue) {
            this.hapi = hapi;
            this.overdue = overdue;
        }

        @Override
        public ISearchBuilder<JpaPid> newSearchBuilder(
                String resourceName, Class<? extends IBaseResource> resourceType) {
            return new WorklistSearchBuilder(
                    hapi.newSearchBuilder(resourceName, resourceType), resourceName, overdue.getObject());
        }
    }
}
