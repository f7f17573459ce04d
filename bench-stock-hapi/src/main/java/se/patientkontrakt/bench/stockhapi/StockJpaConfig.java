package se.patientkontrakt.bench.stockhapi;

import ca.uhn.fhir.batch2.jobs.config.BatchCommonCtx;
import ca.uhn.fhir.context.FhirContext;
import ca.uhn.fhir.jpa.api.config.JpaStorageSettings;
import ca.uhn.fhir.jpa.api.config.ThreadPoolFactoryConfig;
import ca.uhn.fhir.jpa.batch2.JpaBatch2Config;
import ca.uhn.fhir.jpa.config.HapiJpaConfig;
import ca.uhn.fhir.jpa.config.r4.JpaR4Config;
import ca.uhn.fhir.jpa.config.util.HapiEntityManagerFactoryUtil;
import ca.uhn.fhir.jpa.migrate.DriverTypeEnum;
import ca.uhn.fhir.jpa.model.config.PartitionSettings;
import ca.uhn.fhir.jpa.subscription.channel.config.SubscriptionChannelConfig;
import jakarta.persistence.EntityManagerFactory;
import java.util.Properties;
import javax.sql.DataSource;
import org.springframework.beans.factory.config.ConfigurableListableBeanFactory;
import org.springframework.boot.autoconfigure.jdbc.DataSourceProperties;
import org.springframework.context.annotation.Bean;
import org.springframework.context.annotation.Configuration;
import org.springframework.context.annotation.Import;
import org.springframework.context.annotation.Primary;
import org.springframework.orm.jpa.JpaTransactionManager;
import org.springframework.orm.jpa.LocalContainerEntityManagerFactoryBean;

/**
 * HAPI's R4 JPA storage as HAPI's JPA starter sets it up ({@code FhirServerConfigR4},
 * {@code StarterJpaConfig}), without the starter's optional modules (MDM, CQL, IPS, subscriptions,
 * Lucene), which it leaves off by default too. The imports are the least that starts:
 * {@link ThreadPoolFactoryConfig}, {@link JpaBatch2Config}, {@link SubscriptionChannelConfig}
 * (the in-memory channel HAPI's batch jobs use) and {@link BatchCommonCtx} are needed by
 * {@link JpaR4Config}'s beans.
 */
@Configuration
@Import({
    JpaR4Config.class,
    HapiJpaConfig.class,
    ThreadPoolFactoryConfig.class,
    JpaBatch2Config.class,
    SubscriptionChannelConfig.class,
    BatchCommonCtx.class
})
class StockJpaConfig {

    /** HAPI's defaults, untouched: the point of a stock server. */
    @Bean
    JpaStorageSettings jpaStorageSettings() {
        return new JpaStorageSettings();
    }

    @Bean
    PartitionSettings partitionSettings() {
        return new PartitionSettings();
    }

    @Bean
    @Primary
    LocalContainerEntityManagerFactoryBean entityManagerFactory(
            ConfigurableListableBeanFactory beanFactory,
            DataSource dataSource,
            DataSourceProperties dataSourceProperties,
            FhirContext fhirContext,
            JpaStorageSettings storageSettings) {
        LocalContainerEntityManagerFactoryBean factory =
                HapiEntityManagerFactoryUtil.newEntityManagerFactory(beanFactory, fhirContext, storageSettings);
        factory.setPersistenceUnitName("HAPI_PU");
        factory.setDataSource(dataSource);
        factory.setJpaProperties(hibernateProperties(
                DriverTypeEnum.fromDriverClassName(dataSourceProperties.determineDriverClassName())));
        return factory;
    }

    @Bean
    @Primary
    JpaTransactionManager transactionManager(EntityManagerFactory entityManagerFactory) {
        return new JpaTransactionManager(entityManagerFactory);
    }

    /**
     * The starter's Hibernate defaults: Hibernate creates and updates the schema itself
     * ({@code hbm2ddl.auto=update}), batches of 20, no second-level or query cache, no Hibernate
     * Search; the dialect HAPI ships for the database.
     */
    private static Properties hibernateProperties(DriverTypeEnum driverType) {
        Properties properties = new Properties();
        properties.put(
                "hibernate.dialect",
                switch (driverType) {
                    case H2_EMBEDDED -> "ca.uhn.fhir.jpa.model.dialect.HapiFhirH2Dialect";
                    case POSTGRES_9_4 -> "ca.uhn.fhir.jpa.model.dialect.HapiFhirPostgresDialect";
                    default -> throw new IllegalStateException("H2 or PostgreSQL only, not " + driverType);
                });
        properties.put("hibernate.hbm2ddl.auto", "update");
        properties.put("hibernate.search.enabled", "false");
        properties.put("hibernate.format_sql", "false");
        properties.put("hibernate.show_sql", "false");
        properties.put("hibernate.jdbc.batch_size", "20");
        properties.put("hibernate.cache.use_query_cache", "false");
        properties.put("hibernate.cache.use_second_level_cache", "false");
        properties.put("hibernate.cache.use_structured_entries", "false");
        properties.put("hibernate.cache.use_minimal_puts", "false");
        return properties;
    }
}
