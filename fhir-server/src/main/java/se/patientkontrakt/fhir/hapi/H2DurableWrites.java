package se.patientkontrakt.fhir.hapi;

import ca.uhn.fhir.interceptor.api.Hook;
import ca.uhn.fhir.interceptor.api.Interceptor;
import ca.uhn.fhir.interceptor.api.Pointcut;
import java.sql.Connection;
import java.sql.SQLException;
import java.util.Optional;
import javax.sql.DataSource;
import org.h2.engine.SessionLocal;
import org.h2.jdbc.JdbcConnection;
import org.h2.mvstore.MVStore;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.springframework.stereotype.Component;
import org.springframework.transaction.support.TransactionSynchronization;
import org.springframework.transaction.support.TransactionSynchronizationManager;
import se.patientkontrakt.fhir.server.HookOrder;
import se.patientkontrakt.fhir.server.StorageInterceptor;

/**
 * On the embedded H2 file database, every acknowledged write is in the database file before its
 * answer leaves the server, while H2 still reclaims the space of old pages.
 *
 * <p>H2 by default writes committed changes to its file from a background thread up to {@code
 * WRITE_DELAY} (500 ms) later: a process killed in between lost writes it had already answered
 * 2xx ({@code KillDuringWritesFaultIT} fails without this class). H2's {@code WRITE_DELAY=0}
 * writes each commit at once, but then H2 starts no background thread, and that thread is what
 * gives the space of superseded pages back (H2's store never overwrites a page in place): with
 * {@code WRITE_DELAY=0} a file that had grown to 565 MB during a load of 1,000 contracts stayed at
 * 565 MB through a restart; with the background thread a file of 1,543 MB after 4,000 contracts
 * was 190 MB after a restart.
 *
 * <p>So the server keeps H2's default, background thread and all, and this class writes the
 * store itself (the changes of every committed transaction so far) right after each database
 * transaction that stored, changed or deleted a resource has committed, on the thread that goes
 * on to answer the request, whichever REST interaction, transaction Bundle or operation made the
 * change. It is a storage interceptor on purpose: the server's own writes count too, above all the
 * access-log entry written for a read, which must be in the file before the read is answered
 * ({@code AuditedKillFaultIT}); that costs one file write per audited read on H2. It does nothing
 * on PostgreSQL, whose commit returns once the change is in its write-ahead log.
 */
@Component
@Interceptor
class H2DurableWrites implements StorageInterceptor {

    private static final Logger log = LoggerFactory.getLogger(H2DurableWrites.class);

    /** The store of the H2 file database; empty for any other database. */
    private final Optional<MVStore> store;

    H2DurableWrites(DataSource dataSource) throws SQLException {
        this.store = fileStore(dataSource);
    }

    @Hook(value = Pointcut.STORAGE_PRESTORAGE_RESOURCE_CREATED, order = HookOrder.EFFECTS + 100)
    void beforeCreate() {
        writeToFileAfterCommit();
    }

    @Hook(value = Pointcut.STORAGE_PRESTORAGE_RESOURCE_UPDATED, order = HookOrder.EFFECTS + 100)
    void beforeUpdate() {
        writeToFileAfterCommit();
    }

    @Hook(value = Pointcut.STORAGE_PRESTORAGE_RESOURCE_DELETED, order = HookOrder.EFFECTS + 100)
    void beforeDelete() {
        writeToFileAfterCommit();
    }

    /**
     * Once per database transaction that stores a resource: when it has committed, on the thread
     * that will answer the request, write it to the file.
     */
    private void writeToFileAfterCommit() {
        if (!TransactionSynchronizationManager.isSynchronizationActive()
                || TransactionSynchronizationManager.getSynchronizations().stream()
                        .anyMatch(WriteAfterCommit.class::isInstance)) {
            return;
        }
        store.ifPresent(
                mvStore -> TransactionSynchronizationManager.registerSynchronization(new WriteAfterCommit(mvStore)));
    }

    private record WriteAfterCommit(MVStore mvStore) implements TransactionSynchronization {
        @Override
        public void afterCommit() {
            writeCommitted(mvStore);
        }
    }

    /**
     * Writes what is committed and waits until it is in the file: {@code commit()} stores the
     * changes not yet stored, and {@code executeFilestoreOperation} waits for a store the background
     * thread may have begun (whose changes {@code commit()} then finds already taken) to reach the
     * file.
     */
    private static void writeCommitted(MVStore mvStore) {
        mvStore.commit();
        mvStore.executeFilestoreOperation(() -> {});
    }

    private static Optional<MVStore> fileStore(DataSource dataSource) throws SQLException {
        try (Connection connection = dataSource.getConnection()) {
            if (connection.isWrapperFor(JdbcConnection.class)
                    && connection.unwrap(JdbcConnection.class).getSession() instanceof SessionLocal session) {
                MVStore mvStore = session.getDatabase().getStore().getMvStore();
                if (mvStore.getFileStore() != null) {
                    log.info("H2 file database: each write is written to the file before it is answered");
                    return Optional.of(mvStore);
                }
            }
            return Optional.empty();
        }
    }
}
