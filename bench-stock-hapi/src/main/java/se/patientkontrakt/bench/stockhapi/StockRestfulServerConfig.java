package se.patientkontrakt.bench.stockhapi;

import ca.uhn.fhir.context.FhirContext;
import ca.uhn.fhir.context.support.IValidationSupport;
import ca.uhn.fhir.jpa.api.config.JpaStorageSettings;
import ca.uhn.fhir.jpa.api.dao.IFhirSystemDao;
import ca.uhn.fhir.jpa.provider.JpaCapabilityStatementProvider;
import ca.uhn.fhir.jpa.provider.JpaSystemProvider;
import ca.uhn.fhir.jpa.search.DatabaseBackedPagingProvider;
import ca.uhn.fhir.rest.api.EncodingEnum;
import ca.uhn.fhir.rest.server.RestfulServer;
import ca.uhn.fhir.rest.server.provider.ResourceProviderFactory;
import ca.uhn.fhir.rest.server.util.ISearchParamRegistry;
import org.springframework.boot.web.servlet.ServletRegistrationBean;
import org.springframework.context.annotation.Bean;
import org.springframework.context.annotation.Configuration;

/**
 * The REST endpoint as the starter's {@code StarterJpaConfig} builds it: a resource provider per
 * DAO, the system provider (transactions, history), HAPI's database-backed paging and its JPA
 * CapabilityStatement, JSON by default. No interceptor: no validation, no access rules, none of
 * this service's request pipeline (the starter's request log and browser highlighting are left
 * out too, which only makes this baseline faster).
 */
@Configuration
class StockRestfulServerConfig {

    @Bean
    RestfulServer fhirRestfulServer(
            FhirContext fhirContext,
            ResourceProviderFactory resourceProviders,
            JpaSystemProvider<?, ?> systemProvider,
            IFhirSystemDao<?, ?> systemDao,
            JpaStorageSettings storageSettings,
            ISearchParamRegistry searchParamRegistry,
            IValidationSupport validationSupport,
            DatabaseBackedPagingProvider pagingProvider) {
        RestfulServer server = new RestfulServer(fhirContext);
        server.registerProviders(resourceProviders.createProviders());
        server.registerProvider(systemProvider);
        server.setPagingProvider(pagingProvider);
        server.setDefaultResponseEncoding(EncodingEnum.JSON);
        JpaCapabilityStatementProvider capabilities = new JpaCapabilityStatementProvider(
                server, systemDao, storageSettings, searchParamRegistry, validationSupport);
        capabilities.setImplementationDescription("Stock HAPI FHIR JPA server (benchmark baseline)");
        server.setServerConformanceProvider(capabilities);
        return server;
    }

    @Bean
    ServletRegistrationBean<RestfulServer> fhirServlet(RestfulServer server) {
        ServletRegistrationBean<RestfulServer> registration = new ServletRegistrationBean<>(server, "/fhir/*");
        registration.setName("fhir");
        registration.setLoadOnStartup(1);
        return registration;
    }
}
