package se.patientkontrakt.fhir.bulk;

import ca.uhn.fhir.batch2.api.IJobPersistence;
import ca.uhn.fhir.batch2.model.JobInstance;
import ca.uhn.fhir.batch2.model.StatusEnum;
import ca.uhn.fhir.jpa.api.config.JpaStorageSettings;
import ca.uhn.fhir.jpa.api.dao.DaoRegistry;
import ca.uhn.fhir.jpa.api.dao.IFhirResourceDao;
import ca.uhn.fhir.jpa.api.model.BulkExportJobResults;
import ca.uhn.fhir.jpa.api.model.ExpungeOptions;
import ca.uhn.fhir.jpa.model.sched.HapiJob;
import ca.uhn.fhir.jpa.model.sched.IHasScheduledJobs;
import ca.uhn.fhir.jpa.model.sched.ISchedulerService;
import ca.uhn.fhir.jpa.model.sched.ScheduledJobDefinition;
import ca.uhn.fhir.jpa.searchparam.SearchParameterMap;
import ca.uhn.fhir.rest.api.Constants;
import ca.uhn.fhir.rest.api.server.SystemRequestDetails;
import ca.uhn.fhir.rest.api.server.storage.IResourcePersistentId;
import ca.uhn.fhir.rest.param.DateRangeParam;
import ca.uhn.fhir.rest.param.TokenParam;
import ca.uhn.fhir.rest.param.TokenParamModifier;
import ca.uhn.fhir.rest.server.exceptions.ResourceGoneException;
import ca.uhn.fhir.rest.server.exceptions.ResourceNotFoundException;
import ca.uhn.fhir.util.Batch2JobDefinitionConstants;
import ca.uhn.fhir.util.JsonUtil;
import jakarta.annotation.PreDestroy;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Date;
import java.util.EnumSet;
import java.util.List;
import java.util.Objects;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.stream.Collectors;
import java.util.stream.Stream;
import org.hl7.fhir.r4.model.Binary;
import org.hl7.fhir.r4.model.IdType;
import org.quartz.JobExecutionContext;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.springframework.beans.factory.annotation.Autowired;
import org.springframework.dao.ConcurrencyFailureException;
import org.springframework.data.domain.PageRequest;
import org.springframework.stereotype.Component;
import org.springframework.transaction.PlatformTransactionManager;
import org.springframework.transaction.support.TransactionTemplate;
import se.patientkontrakt.fhir.hapi.DeletedVersions;

/**
 * An export's files and job gone for good: after its client deletes it, and when its retention period
 * ({@link JpaStorageSettings#getBulkExportFileRetentionPeriodHours()}, two hours) has passed since it
 * ended. "For good" means the files' stored versions too: this server keeps every version of what is
 * written and turns expunging off for clients, so a file that was only deleted kept its NDJSON, the
 * health data of every patient exported, in HAPI's version history. Here each file is deleted and its
 * versions expunged, one file per transaction (one transaction for all files ran a 1 GB heap out of
 * memory on an export of 1.3 GB), and the job last, so that a pass cut off halfway is finished by the
 * next one.
 *
 * <p>This replaces HAPI's own hourly clean-up (switched off in {@code JpaConfig}), which deletes all
 * of an export's files in one transaction and leaves their versions. Each pass also expunges any
 * Binary deleted but not expunged (left by a server from before this class): a Binary on this server
 * is an export file and nothing else.
 */
@Component
public class BulkExportRetention implements IHasScheduledJobs {

    private static final Logger log = LoggerFactory.getLogger(BulkExportRetention.class);

    /** A cancelled export is removed by the pass this long after it ended. */
    private static final Duration CANCELLED_WAIT = Duration.ofMinutes(10);

    /**
     * Exports kept at once (running, complete within their retention, failed), above which a pass does
     * not look for files of exports that are gone: it leaves out each kept export's files by a clause
     * of its own.
     */
    private static final int LIVE_EXPORTS_LIMIT = 500;

    /** How many ended exports one pass looks at; the rest wait for the next pass. */
    private static final int EXPORTS_PER_PASS = 100;

    /**
     * Deleted files left with their versions are expunged one per round, until none is left: a round
     * holds its files' text in one session, and 100 files of an export of 1.3 GB ran a 1 GB heap
     * out of memory.
     */
    private static final int LEFTOVERS_PER_ROUND = 1;

    private final IJobPersistence jobStore;
    private final DaoRegistry daoRegistry;
    private final DeletedVersions deletedVersions;
    private final JpaStorageSettings storageSettings;
    private final TransactionTemplate transaction;

    /** Removes deleted exports' files after the answer, one export after the other. */
    private final ExecutorService background = Executors.newSingleThreadExecutor(runnable -> {
        Thread thread = new Thread(runnable, "export-removal");
        thread.setDaemon(true);
        return thread;
    });

    BulkExportRetention(
            IJobPersistence jobStore,
            DaoRegistry daoRegistry,
            DeletedVersions deletedVersions,
            JpaStorageSettings storageSettings,
            PlatformTransactionManager transactionManager) {
        this.jobStore = jobStore;
        this.daoRegistry = daoRegistry;
        this.deletedVersions = deletedVersions;
        this.storageSettings = storageSettings;
        this.transaction = new TransactionTemplate(transactionManager);
    }

    /**
     * The client's {@code DELETE} of a completed export: the export is marked cancelled at once, so
     * its status and its files answer {@code 404} from now on ({@link BulkExportFiles} serves a file
     * only while its export is complete), and its files are removed after the answer. Should this
     * node stop before they are, the next pass ({@link #removeExpired()}) removes them.
     */
    void delete(JobInstance job) {
        transaction.executeWithoutResult(status -> jobStore.updateInstance(job.getInstanceId(), instance -> {
            instance.setStatus(StatusEnum.CANCELLED);
            instance.setCancelled(true);
            instance.setEndTime(new Date());
            return true;
        }));
        background.execute(() -> {
            try {
                long start = System.nanoTime();
                remove(job);
                log.info(
                        "Deleted export {} removed with its files in {} ms",
                        job.getInstanceId(),
                        (System.nanoTime() - start) / 1_000_000);
            } catch (RuntimeException e) {
                log.warn(
                        "The files of deleted export {} are not all removed yet; the next pass goes on: {}",
                        job.getInstanceId(),
                        e.toString());
            }
        });
    }

    @PreDestroy
    void stop() {
        background.shutdownNow();
    }

    /** Each file deleted and expunged, then the job. Tried again where HAPI's maintenance pass meets it. */
    void remove(JobInstance job) {
        BulkExportJobResults results = job.getReport() == null
                ? new BulkExportJobResults()
                : JsonUtil.deserialize(job.getReport(), BulkExportJobResults.class);
        // HAPI's maintenance pass purges a completed job's work chunks too: where the two meet, the
        // database rolls one back, and the removal is tried again.
        for (int attempt = 1; ; attempt++) {
            try {
                removeFilesAndJob(job, results);
                return;
            } catch (ConcurrencyFailureException e) {
                if (attempt == 3) {
                    throw e;
                }
            }
        }
    }

    private void removeFilesAndJob(JobInstance job, BulkExportJobResults results) {
        for (List<String> files : results.getResourceTypeToBinaryIds().values()) {
            for (String file : files) {
                removeFile(new IdType(file).toUnqualifiedVersionless());
            }
        }
        // Files no report lists: those of an export cancelled while it ran.
        SearchParameterMap tagged = SearchParameterMap.newSynchronous()
                .add(Constants.PARAM_TAG, new TokenParam(ExportFileTags.SYSTEM, job.getInstanceId()));
        IFhirResourceDao<Binary> files = daoRegistry.getResourceDao(Binary.class);
        for (IResourcePersistentId<?> file :
                files.<IResourcePersistentId<?>>searchForIds(tagged, new SystemRequestDetails())) {
            removeFile((IdType) files.readByPid(file).getIdElement().toUnqualifiedVersionless());
        }
        transaction.executeWithoutResult(status -> jobStore.deleteInstanceAndChunks(job.getInstanceId()));
    }

    private void removeFile(IdType file) {
        IFhirResourceDao<Binary> files = daoRegistry.getResourceDao(Binary.class);
        IdType id = new IdType("Binary", file.getIdPart());
        try {
            // HAPI's DAO runs the delete in a transaction of its own.
            files.delete(id, new SystemRequestDetails());
        } catch (ResourceGoneException | ResourceNotFoundException e) {
            // deleted already (expunged or not): the expunge below finishes it
        }
        files.forceExpungeInExistingTransaction(id, everyVersionOfDeleted(), new SystemRequestDetails());
    }

    /**
     * Removes every export that ended before {@code expired}, and every deleted or cancelled one that
     * ended before {@code cancelled}, then the files written before {@code cancelled} of an export
     * that is gone ({@link #removeOrphans}), then the versions of any Binary deleted but not expunged.
     * Answers how many exports were removed.
     */
    int removeEndedBefore(Instant expired, Instant cancelled) {
        List<JobInstance> ended = new ArrayList<>(endedBefore(StatusEnum.getEndedStatuses(), expired));
        cancelledBefore(cancelled).stream()
                .filter(job -> ended.stream().noneMatch(e -> e.getInstanceId().equals(job.getInstanceId())))
                .forEach(ended::add);
        int removed = 0;
        for (JobInstance job : ended) {
            try {
                remove(job);
                removed++;
            } catch (RuntimeException e) {
                // One export that cannot be removed now must not keep the others; the next pass tries again.
                log.warn("Export {} could not be removed yet: {}", job.getInstanceId(), e.toString());
            }
        }
        int orphans = removeOrphans(cancelled);
        int versions = expungeLeftovers();
        if (removed > 0 || orphans > 0 || versions > 0) {
            log.info(
                    "Removed {} ended export(s), {} file(s) of exports that are gone, and expunged {} version(s)"
                            + " of deleted export files",
                    removed,
                    orphans,
                    versions);
        }
        return removed;
    }

    /**
     * Export files written before {@code writtenBefore} whose export is gone or cancelled: a file an
     * export's workers wrote after its removal (HAPI's workers go on for a while after a cancel), and
     * files a server from before {@link ExportFileTags} left untagged when an export was cancelled.
     * The files of every export still there are left out by their tag in the search itself, so a pass
     * reads no file of a live export but the untagged ones of one written before the tags; any file
     * found is then kept if the export HAPI names on it is still there. A Binary that names no export
     * is left alone. Answers how many files were removed.
     */
    int removeOrphans(Instant writtenBefore) {
        Set<StatusEnum> notCancelled = EnumSet.complementOf(EnumSet.of(StatusEnum.CANCELLED));
        List<JobInstance> live = transaction.execute(status -> jobStore.fetchInstancesByJobDefinitionIdAndStatus(
                Batch2JobDefinitionConstants.BULK_EXPORT, notCancelled, LIVE_EXPORTS_LIMIT, 0));
        if (live == null || live.size() >= LIVE_EXPORTS_LIMIT) {
            log.warn(
                    "More than {} exports are kept: files of exports that are gone are looked for in a later pass",
                    LIVE_EXPORTS_LIMIT);
            return 0;
        }
        Set<String> liveIds = live.stream().map(JobInstance::getInstanceId).collect(Collectors.toSet());
        SearchParameterMap notOfALiveExport = SearchParameterMap.newSynchronous();
        for (String id : liveIds) {
            notOfALiveExport.add(
                    Constants.PARAM_TAG, new TokenParam(ExportFileTags.SYSTEM, id).setModifier(TokenParamModifier.NOT));
        }
        notOfALiveExport.setLastUpdated(new DateRangeParam(null, Date.from(writtenBefore)));
        IFhirResourceDao<Binary> files = daoRegistry.getResourceDao(Binary.class);
        int removed = 0;
        for (IResourcePersistentId<?> pid :
                files.<IResourcePersistentId<?>>searchForIds(notOfALiveExport, new SystemRequestDetails())) {
            try {
                Binary file = files.readByPid(pid);
                Optional<String> export = ExportFileTags.exportOf(file);
                if (export.isPresent() && !liveIds.contains(export.get())) {
                    removeFile((IdType) file.getIdElement().toUnqualifiedVersionless());
                    removed++;
                }
            } catch (RuntimeException e) {
                // Removed meanwhile by a DELETE's removal, or in its way: the next pass looks again.
                log.debug("An export file could not be removed in this pass: {}", e.toString());
            }
        }
        return removed;
    }

    private List<JobInstance> endedBefore(Set<StatusEnum> statuses, Instant cutoff) {
        List<JobInstance> jobs = transaction.execute(status -> jobStore.fetchInstances(
                Batch2JobDefinitionConstants.BULK_EXPORT,
                statuses,
                Date.from(cutoff),
                PageRequest.of(0, EXPORTS_PER_PASS)));
        return jobs == null ? List.of() : jobs;
    }

    /**
     * Cancelled exports last changed before {@code cutoff}: HAPI's own cancel of a running export
     * leaves no end time, so its last update counts.
     */
    private List<JobInstance> cancelledBefore(Instant cutoff) {
        List<JobInstance> jobs = transaction.execute(status -> jobStore.fetchInstancesByJobDefinitionIdAndStatus(
                Batch2JobDefinitionConstants.BULK_EXPORT, Set.of(StatusEnum.CANCELLED), EXPORTS_PER_PASS, 0));
        return (jobs == null ? List.<JobInstance>of() : jobs)
                .stream()
                        .filter(job -> lastChange(job)
                                .map(at -> at.toInstant().isBefore(cutoff))
                                .orElse(true))
                        .toList();
    }

    private static Optional<Date> lastChange(JobInstance job) {
        return Stream.of(job.getEndTime(), job.getUpdateTime(), job.getCreateTime())
                .filter(Objects::nonNull)
                .findFirst();
    }

    /**
     * The pass the scheduler runs: exports whose retention period has passed, and deleted or
     * cancelled ones whose removal did not finish (a cancelled job's last steps may still be running
     * for a while, hence the wait).
     */
    void removeExpired() {
        Instant now = Instant.now();
        removeEndedBefore(
                now.minus(Duration.ofHours(storageSettings.getBulkExportFileRetentionPeriodHours())),
                now.minus(CANCELLED_WAIT));
    }

    private int expungeLeftovers() {
        int expunged = 0;
        try {
            for (int round = 0; round < 100_000; round++) {
                int count = deletedVersions.expunge("Binary", LEFTOVERS_PER_ROUND);
                expunged += count;
                if (count == 0) {
                    break;
                }
            }
        } catch (RuntimeException e) {
            log.warn("Deleted export files could not all be expunged yet: {}", e.toString());
        }
        return expunged;
    }

    private static ExpungeOptions everyVersionOfDeleted() {
        return new ExpungeOptions().setExpungeDeletedResources(true).setExpungeOldVersions(true);
    }

    @Override
    public void scheduleJobs(ISchedulerService scheduler) {
        ScheduledJobDefinition pass = new ScheduledJobDefinition();
        pass.setId(Pass.class.getName());
        pass.setJobClass(Pass.class);
        // Clustered: one node of several runs it. Every ten minutes, so a file outlives its
        // Expires by at most that.
        scheduler.scheduleClusteredJob(Duration.ofMinutes(10).toMillis(), pass);
    }

    /** The scheduled pass; HAPI's scheduler creates it and fills in the field. */
    public static class Pass implements HapiJob {

        @Autowired
        private BulkExportRetention retention;

        @Override
        public void execute(JobExecutionContext context) {
            retention.removeExpired();
        }
    }
}
