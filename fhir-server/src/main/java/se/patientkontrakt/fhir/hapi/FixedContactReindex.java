package se.patientkontrakt.fhir.hapi;

import ca.uhn.fhir.interceptor.model.RequestPartitionId;
import ca.uhn.fhir.jpa.api.dao.DaoRegistry;
import ca.uhn.fhir.jpa.api.dao.IFhirResourceDao;
import ca.uhn.fhir.jpa.api.dao.ReindexParameters;
import ca.uhn.fhir.jpa.model.config.PartitionSettings;
import ca.uhn.fhir.jpa.model.dao.JpaPid;
import ca.uhn.fhir.jpa.model.entity.BaseResourceIndexedSearchParam;
import ca.uhn.fhir.rest.api.server.SystemRequestDetails;
import ca.uhn.fhir.rest.api.server.storage.TransactionDetails;
import jakarta.annotation.PreDestroy;
import java.time.Clock;
import java.time.Duration;
import java.time.LocalDate;
import java.time.LocalTime;
import java.time.ZonedDateTime;
import java.util.List;
import java.util.Map;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import org.hl7.fhir.instance.model.api.IBaseResource;
import org.hl7.fhir.r4.model.CareTeam;
import org.hl7.fhir.r4.model.Group;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.springframework.boot.context.event.ApplicationReadyEvent;
import org.springframework.context.event.EventListener;
import org.springframework.dao.DataAccessException;
import org.springframework.dao.DataIntegrityViolationException;
import org.springframework.jdbc.core.namedparam.NamedParameterJdbcTemplate;
import org.springframework.stereotype.Component;
import org.springframework.transaction.PlatformTransactionManager;
import org.springframework.transaction.TransactionDefinition;
import org.springframework.transaction.support.TransactionTemplate;
import se.patientkontrakt.fhir.contract.Vocabulary;

/**
 * Keeps the fixed-contact index true as the days pass. The search parameters
 * {@code fast-vardkontakt} and {@code fast-lakarkontakt} index only the participants in force on
 * the day a contact team is written ({@link SwedishDaySearchParamExtractor}); a participant whose
 * period ends on Friday must stop matching on Saturday, though nobody writes the team. So, at
 * start-up and each night just after midnight in Sweden, this re-indexes (HAPI's own reindex of
 * one resource, in place: no new version, no Provenance) exactly the teams with a participant
 * period that starts or ends between the day the index was last made current and today, found by
 * the search parameter {@code participant-period} on HAPI's date index. A few days' margin either
 * side costs a few teams more and covers a written date that HAPI indexes a day apart from ours.
 *
 * <p>The day the index was last made current is kept in the database, in the one row of {@value
 * #TABLE}; the run holds that row locked, so with several nodes on one database one re-indexes and
 * the others find the day done. A run that fails (the database is down) is tried again later and,
 * like a server that was stopped for a week, catches up on every day since. A clock set back does
 * the same for the days in between.
 *
 * <p>The same run re-indexes every target group ({@code Group}): the search parameter {@code
 * current-member} indexes only the members in force today, for the population measures. A region
 * holds a handful of groups (one per kind), so all of them are re-indexed rather than a date index
 * kept of their thousands of member periods.
 */
@Component
public class FixedContactReindex {

    private static final Logger log = LoggerFactory.getLogger(FixedContactReindex.class);

    static final String TABLE = "PK_FIXED_CONTACT_INDEX";
    static final String PARTICIPANT_PERIOD = "participant-period";

    /** After midnight, once the writes begun on the day before have committed. */
    private static final LocalTime NIGHTLY = LocalTime.of(0, 1);

    private static final Duration RETRY = Duration.ofMinutes(5);

    private static final String STALE_TEAMS =
            """
            SELECT d.RES_ID FROM HFJ_SPIDX_DATE d
            WHERE d.HASH_IDENTITY = :participantPeriod AND d.SP_VALUE_LOW_DATE_ORDINAL BETWEEN :from AND :to
            UNION
            SELECT d.RES_ID FROM HFJ_SPIDX_DATE d
            WHERE d.HASH_IDENTITY = :participantPeriod AND d.SP_VALUE_HIGH_DATE_ORDINAL BETWEEN :from AND :to""";

    private static final String GROUPS =
            "SELECT RES_ID FROM HFJ_RESOURCE WHERE RES_TYPE = 'Group' AND RES_DELETED_AT IS NULL";

    private final NamedParameterJdbcTemplate jdbc;
    private final TransactionTemplate ownTransaction;
    private final DaoRegistry daoRegistry;
    private final Clock clock;
    private final long participantPeriodHash;
    private final ScheduledExecutorService scheduler = Executors.newSingleThreadScheduledExecutor(task -> {
        Thread thread = new Thread(task, "fixed-contact-reindex");
        thread.setDaemon(true);
        return thread;
    });

    FixedContactReindex(
            NamedParameterJdbcTemplate jdbc,
            PlatformTransactionManager transactionManager,
            DaoRegistry daoRegistry,
            PartitionSettings partitionSettings,
            Clock clock) {
        this.jdbc = jdbc;
        this.ownTransaction = new TransactionTemplate(transactionManager);
        this.ownTransaction.setPropagationBehavior(TransactionDefinition.PROPAGATION_REQUIRES_NEW);
        this.daoRegistry = daoRegistry;
        this.clock = clock;
        this.participantPeriodHash = BaseResourceIndexedSearchParam.calculateHashIdentity(
                partitionSettings, RequestPartitionId.defaultPartition(), "CareTeam", PARTICIPANT_PERIOD);
    }

    /** Once the server is up (the search parameters are installed), then every night. */
    @EventListener(ApplicationReadyEvent.class)
    public void start() {
        scheduler.execute(this::runAndScheduleNext);
    }

    @PreDestroy
    void stop() {
        scheduler.shutdownNow();
    }

    private void runAndScheduleNext() {
        Duration next;
        try {
            indexToday();
            ZonedDateTime now = ZonedDateTime.now(clock.withZone(Vocabulary.SWEDEN));
            next = Duration.between(
                    now, now.toLocalDate().plusDays(1).atTime(NIGHTLY).atZone(Vocabulary.SWEDEN));
        } catch (RuntimeException e) {
            log.warn("Could not re-index the contact teams for today; trying again in {}: {}", RETRY, e.toString());
            next = RETRY;
        }
        scheduler.schedule(this::runAndScheduleNext, Math.max(next.toMillis(), 1000), TimeUnit.MILLISECONDS);
    }

    /**
     * Makes the fixed-contact index current for today: re-indexes the teams whose participants'
     * periods began or ended since the day it was last made current. Does nothing when that day is
     * today. Returns the number of teams re-indexed.
     */
    public synchronized int indexToday() {
        LocalDate today = LocalDate.now(clock.withZone(Vocabulary.SWEDEN));
        createStateIfMissing(today);
        Integer reindexed = ownTransaction.execute(status -> {
            LocalDate indexed = jdbc.queryForObject(
                    "SELECT INDEXED_DAY FROM " + TABLE + " WHERE ID = 1 FOR UPDATE", Map.of(), LocalDate.class);
            if (today.equals(indexed)) {
                return 0;
            }
            LocalDate from = (indexed.isBefore(today) ? indexed : today).minusDays(2);
            LocalDate to = (indexed.isBefore(today) ? today : indexed).plusDays(2);
            List<Long> teams = jdbc.queryForList(
                    STALE_TEAMS,
                    Map.of("participantPeriod", participantPeriodHash, "from", ordinal(from), "to", ordinal(to)),
                    Long.class);
            int done = 0;
            for (Long team : teams) {
                done += reindex(CareTeam.class, team) ? 1 : 0;
            }
            for (Long group : jdbc.queryForList(GROUPS, Map.of(), Long.class)) {
                done += reindex(Group.class, group) ? 1 : 0;
            }
            jdbc.update("UPDATE " + TABLE + " SET INDEXED_DAY = :today WHERE ID = 1", Map.of("today", today));
            log.info(
                    "Fixed contacts and group members indexed for {} (last {}): {} contact teams and groups re-indexed",
                    today,
                    indexed,
                    done);
            return done;
        });
        return reindexed == null ? 0 : reindexed;
    }

    /** One resource in a transaction of its own: one that fails (deleted meanwhile) stops no other. */
    private <T extends IBaseResource> boolean reindex(Class<T> type, long resource) {
        IFhirResourceDao<T> dao = daoRegistry.getResourceDao(type);
        try {
            ownTransaction.executeWithoutResult(status -> dao.reindex(
                    JpaPid.fromId(resource),
                    new ReindexParameters(),
                    new SystemRequestDetails(),
                    new TransactionDetails()));
            return true;
        } catch (RuntimeException e) {
            // Written meanwhile (and so indexed for today by that write) or deleted.
            log.warn("Could not re-index {} {}: {}", type.getSimpleName(), resource, e.toString());
            return false;
        }
    }

    /**
     * The state row, made on the first start with today's day: the teams stored until then were
     * indexed today (by their writes, or by HAPI's reindex when the search parameters changed).
     */
    private void createStateIfMissing(LocalDate today) {
        try {
            jdbc.getJdbcTemplate()
                    .execute("CREATE TABLE IF NOT EXISTS " + TABLE
                            + " (ID INTEGER NOT NULL PRIMARY KEY, INDEXED_DAY DATE NOT NULL)");
            ownTransaction.executeWithoutResult(status -> jdbc.update(
                    "INSERT INTO " + TABLE + " (ID, INDEXED_DAY) SELECT 1, :today" + " WHERE NOT EXISTS (SELECT 1 FROM "
                            + TABLE + " WHERE ID = 1)",
                    Map.of("today", today)));
        } catch (DataIntegrityViolationException e) {
            // Another node made it at the same moment.
        } catch (DataAccessException e) {
            Integer rows = jdbc.queryForObject("SELECT COUNT(*) FROM " + TABLE, Map.of(), Integer.class);
            if (rows == null || rows == 0) {
                throw e;
            }
        }
    }

    private static int ordinal(LocalDate date) {
        return date.getYear() * 10000 + date.getMonthValue() * 100 + date.getDayOfMonth();
    }
}
