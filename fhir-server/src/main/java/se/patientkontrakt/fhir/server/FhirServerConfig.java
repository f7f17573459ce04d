package se.patientkontrakt.fhir.server;

import ca.uhn.fhir.context.FhirContext;
import ca.uhn.fhir.context.support.IValidationSupport;
import ca.uhn.fhir.jpa.api.config.JpaStorageSettings;
import ca.uhn.fhir.jpa.api.dao.DaoRegistry;
import ca.uhn.fhir.jpa.api.dao.IFhirSystemDao;
import ca.uhn.fhir.jpa.provider.JpaSystemProvider;
import ca.uhn.fhir.jpa.search.DatabaseBackedPagingProvider;
import ca.uhn.fhir.parser.StrictErrorHandler;
import ca.uhn.fhir.rest.api.EncodingEnum;
import ca.uhn.fhir.rest.api.PreferReturnEnum;
import ca.uhn.fhir.rest.server.ETagSupportEnum;
import ca.uhn.fhir.rest.server.IResourceProvider;
import ca.uhn.fhir.rest.server.RestfulServer;
import ca.uhn.fhir.rest.server.provider.ResourceProviderFactory;
import ca.uhn.fhir.rest.server.util.ISearchParamRegistry;
import jakarta.servlet.http.HttpServletResponse;
import java.util.List;
import org.springframework.beans.factory.ObjectProvider;
import org.springframework.boot.availability.ApplicationAvailability;
import org.springframework.boot.info.BuildProperties;
import org.springframework.boot.web.servlet.FilterRegistrationBean;
import org.springframework.boot.web.servlet.ServletRegistrationBean;
import org.springframework.context.annotation.Bean;
import org.springframework.context.annotation.Configuration;
import org.springframework.core.Ordered;

/**
 * The FHIR REST endpoint at {@code /fhir}: HAPI's {@link RestfulServer} with the JPA resource
 * providers, the providers and interceptors of this service, paging, and the
 * CapabilityStatement generated from what is actually registered.
 */
@Configuration
class FhirServerConfig {

    static final String FHIR_PATH = "/fhir";

    @Bean
    RestfulServer fhirRestfulServer(
            FhirContext fhirContext,
            ResourceProviderFactory resourceProviders,
            JpaSystemProvider<?, ?> systemProvider,
            List<RestProvider> providers,
            IFhirSystemDao<?, ?> systemDao,
            JpaStorageSettings storageSettings,
            ISearchParamRegistry searchParamRegistry,
            IValidationSupport validationSupport,
            DaoRegistry daoRegistry,
            DatabaseBackedPagingProvider pagingProvider,
            FhirServerProperties properties,
            ServedResourceTypes served,
            ObjectProvider<BuildProperties> buildProperties) {
        // Reject what a lenient parser would silently drop (unknown elements, bad values), so a
        // client learns that its data was not what it meant instead of losing part of it.
        fhirContext.setParserErrorHandler(new StrictErrorHandler());
        RestfulServer server = new FhirEndpoint(fhirContext);
        server.setServerName("Patientkontrakt FHIR service");
        server.setServerVersion(buildProperties.stream()
                .map(BuildProperties::getVersion)
                .findFirst()
                .orElse("development"));
        server.setImplementationDescription("Patientkontrakt (Swedish patient contract) FHIR R4 service");
        server.setDefaultResponseEncoding(EncodingEnum.JSON);
        server.setDefaultPreferReturn(PreferReturnEnum.REPRESENTATION);
        server.setETagSupport(ETagSupportEnum.ENABLED);
        // HAPI's own paging provider (a bean of HapiJpaConfig), with our page sizes.
        pagingProvider.setDefaultPageSize(properties.defaultPageSize());
        pagingProvider.setMaximumPageSize(properties.maxPageSize());
        server.setPagingProvider(pagingProvider);

        server.registerProviders(resourceProviders.createProviders().stream()
                .filter(provider -> provider instanceof IResourceProvider typed
                        && served.types().contains(fhirContext.getResourceType(typed.getResourceType())))
                .toList());
        server.registerProvider(systemProvider);
        server.registerProviders(List.copyOf(providers));

        CapabilityStatementProvider capabilities = new CapabilityStatementProvider(
                server, systemDao, storageSettings, searchParamRegistry, validationSupport, daoRegistry);
        capabilities.setImplementationDescription("Patientkontrakt FHIR service");
        server.setServerConformanceProvider(capabilities);
        // Interceptors: RequestPipeline, the one place that registers them.
        return server;
    }

    @Bean
    ServletRegistrationBean<RestfulServer> fhirServlet(RestfulServer server) {
        ServletRegistrationBean<RestfulServer> registration = new ServletRegistrationBean<>(server, FHIR_PATH + "/*");
        registration.setName("fhir");
        // Initialise at start-up, so the first client does not pay for it.
        registration.setLoadOnStartup(1);
        return registration;
    }

    @Bean
    FilterRegistrationBean<RequestSizeLimitFilter> requestSizeLimitFilter(
            FhirContext fhirContext, FhirServerProperties properties) {
        FilterRegistrationBean<RequestSizeLimitFilter> registration =
                new FilterRegistrationBean<>(new RequestSizeLimitFilter(
                        new OperationOutcomeWriter(fhirContext),
                        properties.maxRequestSize().toBytes()));
        registration.addUrlPatterns(FHIR_PATH + "/*");
        return registration;
    }

    @Bean
    FilterRegistrationBean<NotReadyFilter> notReadyFilter(
            FhirContext fhirContext, ApplicationAvailability availability) {
        FilterRegistrationBean<NotReadyFilter> registration =
                new FilterRegistrationBean<>(new NotReadyFilter(new OperationOutcomeWriter(fhirContext), availability));
        registration.addUrlPatterns(FHIR_PATH + "/*");
        // Before anything else reads the request (only the header filter, which reads nothing, is earlier).
        registration.setOrder(Ordered.HIGHEST_PRECEDENCE + 1);
        return registration;
    }

    @Bean
    FilterRegistrationBean<QueryStringFilter> queryStringFilter(FhirContext fhirContext) {
        FilterRegistrationBean<QueryStringFilter> registration =
                new FilterRegistrationBean<>(new QueryStringFilter(new OperationOutcomeWriter(fhirContext)));
        registration.addUrlPatterns(FHIR_PATH + "/*");
        return registration;
    }

    @Bean
    FilterRegistrationBean<NoSniffFilter> noSniffFilter() {
        FilterRegistrationBean<NoSniffFilter> registration = new FilterRegistrationBean<>(new NoSniffFilter());
        registration.addUrlPatterns("/*");
        // First, so that every answer carries it, the filters' refusals too.
        registration.setOrder(Ordered.HIGHEST_PRECEDENCE);
        return registration;
    }

    /**
     * HAPI's RestfulServer without its {@code X-Powered-By} header, which names HAPI and its exact
     * version to anyone who asks: a lookup key for known flaws, and nothing a client needs.
     */
    static final class FhirEndpoint extends RestfulServer {

        FhirEndpoint(FhirContext fhirContext) {
            super(fhirContext);
        }

        @Override
        public void addHeadersToResponse(HttpServletResponse response) {
            // Nothing: HAPI's only header here is X-Powered-By.
        }
    }
}
