package se.patientkontrakt.fhir.hapi;

import org.springframework.beans.factory.support.BeanDefinitionRegistry;
import org.springframework.beans.factory.support.BeanDefinitionRegistryPostProcessor;
import org.springframework.beans.factory.support.RootBeanDefinition;
import org.springframework.stereotype.Component;

/**
 * The beans of HAPI's configuration classes that a class of ours takes the place of, each under
 * HAPI's own name, so every user of the bean (by name or by type, and HAPI's configuration methods
 * calling each other) gets ours:
 *
 * <ul>
 *   <li>{@code searchParamExtractor} (HAPI's {@code SearchParamConfig}): {@link
 *       SwedishDaySearchParamExtractor}, for writes, reindexing and in-memory matching;
 *   <li>{@code workerContextValidationSupportAdapter} (HAPI's {@code JpaConfig}): {@link
 *       SwedishDayWorkerContext}, the HL7 validator's view of HAPI's validation chain behind
 *       {@code $validate}.
 * </ul>
 *
 * <p>The start fails if HAPI no longer defines one of them: a HAPI upgrade must look again.
 */
@Component
class HapiBeans implements BeanDefinitionRegistryPostProcessor {

    @Override
    public void postProcessBeanDefinitionRegistry(BeanDefinitionRegistry registry) {
        replace(registry, "searchParamExtractor", SwedishDaySearchParamExtractor.class);
        replace(registry, "workerContextValidationSupportAdapter", SwedishDayWorkerContext.class);
    }

    private static void replace(BeanDefinitionRegistry registry, String name, Class<?> replacement) {
        if (!registry.containsBeanDefinition(name)) {
            throw new IllegalStateException("HAPI defines no bean " + name + " to replace");
        }
        registry.removeBeanDefinition(name);
        registry.registerBeanDefinition(name, new RootBeanDefinition(replacement));
    }
}
