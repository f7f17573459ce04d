package se.patientkontrakt.fhir.hapi;

import ca.uhn.fhir.batch2.jobs.config.BatchCommonCtx;
import ca.uhn.fhir.batch2.jobs.export.BulkExportAppCtx;
import ca.uhn.fhir.batch2.jobs.reindex.ReindexAppCtx;
import ca.uhn.fhir.context.FhirContext;
import ca.uhn.fhir.jpa.api.config.JpaStorageSettings;
import ca.uhn.fhir.jpa.api.config.ThreadPoolFactoryConfig;
import ca.uhn.fhir.jpa.api.model.HistoryCountModeEnum;
import ca.uhn.fhir.jpa.api.svc.IIdHelperService;
import ca.uhn.fhir.jpa.batch2.JpaBatch2Config;
import ca.uhn.fhir.jpa.config.HapiJpaConfig;
import ca.uhn.fhir.jpa.config.r4.JpaR4Config;
import ca.uhn.fhir.jpa.config.util.HapiEntityManagerFactoryUtil;
import ca.uhn.fhir.jpa.dao.index.DaoSearchParamSynchronizer;
import ca.uhn.fhir.jpa.migrate.DriverTypeEnum;
import ca.uhn.fhir.jpa.migrate.HapiMigrator;
import ca.uhn.fhir.jpa.migrate.tasks.HapiFhirJpaMigrationTasks;
import ca.uhn.fhir.jpa.model.config.PartitionSettings;
import ca.uhn.fhir.jpa.model.dao.JpaPid;
import ca.uhn.fhir.jpa.model.entity.StorageSettings;
import ca.uhn.fhir.jpa.subscription.channel.config.SubscriptionChannelConfig;
import ca.uhn.fhir.util.VersionEnum;
import jakarta.persistence.EntityManagerFactory;
import java.time.Clock;
import java.util.Properties;
import java.util.Set;
import javax.sql.DataSource;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.springframework.beans.factory.config.ConfigurableListableBeanFactory;
import org.springframework.boot.autoconfigure.jdbc.DataSourceProperties;
import org.springframework.context.annotation.Bean;
import org.springframework.context.annotation.Configuration;
import org.springframework.context.annotation.Import;
import org.springframework.context.annotation.Primary;
import org.springframework.orm.jpa.JpaTransactionManager;
import org.springframework.orm.jpa.LocalContainerEntityManagerFactoryBean;
import se.patientkontrakt.fhir.contract.Vocabulary;
import se.patientkontrakt.fhir.server.FhirServerProperties;

/**
 * Wires HAPI FHIR's R4 JPA storage the way HAPI's JPA starter does, minus what this service
 * does not use (no MDM, CQL, GraphQL or Lucene). Each imported class is needed for the context
 * to start: removing one leaves a HAPI bean without its dependency. {@link ReindexAppCtx} is the
 * one batch job we run: when a shipped SearchParameter is added or changed, HAPI reindexes the
 * resources already stored, so a work list also finds contracts written before the upgrade.
 * {@link BulkExportAppCtx} is HAPI's Bulk Data export job ({@code $export}, see {@code bulk/}).
 */
@Configuration
@Import({
    JpaR4Config.class,
    HapiJpaConfig.class,
    ThreadPoolFactoryConfig.class,
    JpaBatch2Config.class,
    SubscriptionChannelConfig.class,
    BatchCommonCtx.class,
    ReindexAppCtx.class,
    BulkExportAppCtx.class
})
class JpaConfig {

    private static final Logger log = LoggerFactory.getLogger(JpaConfig.class);

    /** Table in which HAPI's migrator records the schema version it has applied. */
    private static final String MIGRATION_TABLE = "FLY_HFJ_MIGRATION";

    @Bean
    JpaStorageSettings jpaStorageSettings(FhirServerProperties server, FhirContext fhirContext) {
        // Provenance names the version it records (as the access log does): kept as written.
        fhirContext
                .getParserOptions()
                .setDontStripVersionsFromReferencesAtPaths(
                        "AuditEvent.entity.what", "Provenance.target", "Provenance.entity.what");
        JpaStorageSettings settings = new JpaStorageSettings();
        settings.setDeleteEnabled(true);
        settings.setAllowMultipleDelete(false);
        settings.setExpungeEnabled(false);
        settings.setAllowExternalReferences(false);
        settings.setEnforceReferentialIntegrityOnWrite(true);
        settings.setEnforceReferentialIntegrityOnDelete(true);
        // The access log and Provenance point at what was accessed or written; they must not keep
        // it from being deleted.
        settings.setEnforceReferentialIntegrityOnDeleteDisableForPaths(
                Set.of("AuditEvent.entity.what", "Provenance.target"));
        settings.setAutoCreatePlaceholderReferenceTargets(false);
        settings.setIndexMissingFields(StorageSettings.IndexEnabledEnum.DISABLED);
        settings.setAdvancedHSearchIndexing(false);
        settings.setHibernateSearchIndexFullText(false);
        // One client's retried conditional create must not add a second copy: HAPI stores the
        // match URL and a unique index makes concurrent duplicates fail.
        settings.setUniqueIndexesEnabled(true);
        // The one unique combo index, one Patient per identifier, is looked up before storage by
        // OnePatientPerIdentifierInterceptor, which answers 409; HAPI's own look-up would repeat
        // that query on every Patient write, and its 412 would be retried as a version conflict.
        settings.setUniqueIndexesCheckedBeforeSave(false);
        settings.setDefaultSearchParamsCanBeOverridden(true);
        // ValueSets are expanded in memory (see ValueSetOperations): HAPI's scheduled
        // pre-expansion needs Hibernate Search, which this service leaves out.
        settings.setPreExpandValueSets(false);
        settings.setEnableTaskPreExpandValueSets(false);
        settings.setFetchSizeDefaultMaximum(server.maxPageSize() * 10);
        // HAPI answers a search repeated within 60 s from the first one's stored results, so a
        // contract written meanwhile (through any node) would be missing from the work list.
        settings.setReuseCachedSearchResultsForMillis(null);
        // The GET entries of a batch Bundle on the request's own thread, one after the other, as
        // its other entries: HAPI's default hands them to a pool of threads, for a throughput two
        // cores cannot give, and the request's caller must be the same for every entry.
        settings.setBundleBatchPoolSize(1);
        settings.setBundleBatchMaxPoolSize(1);
        // HAPI remembers an instance's history count for a minute and then lists only that many
        // versions: a contract changed twice within the minute showed its newest versions and lost
        // the first. Counted each time instead (one indexed count per history request).
        settings.setHistoryCountMode(HistoryCountModeEnum.COUNT_ACCURATE);
        // Every $export kick-off is an export of its own: HAPI would otherwise hand a second
        // request with the same parameters the job (and files) of the first, made earlier, and
        // perhaps for another client.
        settings.setEnableBulkExportJobReuse(false);
        // An ended export's files are removed by BulkExportRetention, versions and all; HAPI's own
        // hourly clean-up would delete them in one transaction and keep their content as history.
        settings.setEnableTaskBulkExportJobExecution(false);
        // A batch job moves on at HAPI's maintenance pass, once a minute; with fast tracking a step
        // that ends starts the next pass at once, so a small export takes seconds, not minutes.
        settings.setJobFastTrackingEnabled(true);
        return settings;
    }

    /**
     * The server's clock, in Sweden's time zone: the day the fixed-contact index holds
     * ({@link SwedishDaySearchParamExtractor}, {@link FixedContactReindex}).
     */
    @Bean
    Clock clock() {
        return Clock.system(Vocabulary.SWEDEN);
    }

    @Bean
    PartitionSettings partitionSettings() {
        return new PartitionSettings();
    }

    /**
     * The entity manager factory, created only after HAPI's own migrator has created or
     * upgraded the schema, so a new database and one from an older release both start.
     */
    @Bean
    @Primary
    LocalContainerEntityManagerFactoryBean entityManagerFactory(
            ConfigurableListableBeanFactory beanFactory,
            DataSource dataSource,
            DataSourceProperties dataSourceProperties,
            FhirContext fhirContext,
            JpaStorageSettings storageSettings) {
        DriverTypeEnum driverType = DriverTypeEnum.fromDriverClassName(dataSourceProperties.determineDriverClassName());
        migrateSchema(dataSource, driverType);

        LocalContainerEntityManagerFactoryBean factory =
                HapiEntityManagerFactoryUtil.newEntityManagerFactory(beanFactory, fhirContext, storageSettings);
        factory.setPersistenceUnitName("HAPI_PU");
        factory.setDataSource(dataSource);
        factory.setJpaProperties(hibernateProperties(driverType));
        return factory;
    }

    /** HAPI's id resolution, one id per query on H2 (see {@link OneByOneIdResolution}). */
    @Bean
    @Primary
    IIdHelperService<JpaPid> oneByOneIdResolution(DataSourceProperties dataSourceProperties) {
        return new OneByOneIdResolution(
                DriverTypeEnum.fromDriverClassName(dataSourceProperties.determineDriverClassName())
                        == DriverTypeEnum.H2_EMBEDDED);
    }

    /** HAPI's index synchronisation on update, linear in the rows (see {@link LinearIndexSynchronizer}). */
    @Bean
    @Primary
    DaoSearchParamSynchronizer linearIndexSynchronizer() {
        return new LinearIndexSynchronizer();
    }

    @Bean
    @Primary
    JpaTransactionManager transactionManager(EntityManagerFactory entityManagerFactory) {
        return new JpaTransactionManager(entityManagerFactory);
    }

    private static void migrateSchema(DataSource dataSource, DriverTypeEnum driverType) {
        HapiMigrator migrator = new HapiMigrator(MIGRATION_TABLE, dataSource, driverType);
        migrator.addTasks(new HapiFhirJpaMigrationTasks(Set.of()).getAllTasks(VersionEnum.values()));
        long started = System.currentTimeMillis();
        migrator.createMigrationTableIfRequired();
        migrator.migrate();
        log.info("Database schema ({}) is current; checked in {} ms", driverType, System.currentTimeMillis() - started);
    }

    private static Properties hibernateProperties(DriverTypeEnum driverType) {
        Properties properties = new Properties();
        properties.put("hibernate.dialect", dialectFor(driverType));
        // The migrator owns the schema; Hibernate only checks nothing and changes nothing.
        properties.put("hibernate.hbm2ddl.auto", "none");
        properties.put("hibernate.search.enabled", "false");
        properties.put("hibernate.format_sql", "false");
        properties.put("hibernate.show_sql", "false");
        properties.put("hibernate.jdbc.batch_size", "20");
        properties.put("hibernate.order_inserts", "true");
        properties.put("hibernate.order_updates", "true");
        properties.put("hibernate.cache.use_query_cache", "false");
        properties.put("hibernate.cache.use_second_level_cache", "false");
        properties.put("hibernate.cache.use_structured_entries", "false");
        properties.put("hibernate.cache.use_minimal_puts", "false");
        return properties;
    }

    private static String dialectFor(DriverTypeEnum driverType) {
        return switch (driverType) {
            case H2_EMBEDDED -> "ca.uhn.fhir.jpa.model.dialect.HapiFhirH2Dialect";
            case POSTGRES_9_4 -> "ca.uhn.fhir.jpa.model.dialect.HapiFhirPostgresDialect";
            default ->
                throw new IllegalStateException(
                        "Unsupported database " + driverType + ": use the embedded H2 default or PostgreSQL");
        };
    }
}
