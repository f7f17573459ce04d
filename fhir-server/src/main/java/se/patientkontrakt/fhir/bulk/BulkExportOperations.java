package se.patientkontrakt.fhir.bulk;

import ca.uhn.fhir.batch2.jobs.export.BulkDataExportProvider;
import org.springframework.stereotype.Component;
import se.patientkontrakt.fhir.server.RestProvider;

/**
 * HAPI's <a href="https://hl7.org/fhir/uv/bulkdata/export.html">Bulk Data export</a> operations on
 * this endpoint: {@code $export} at the system level, on {@code Patient} (all, or one) and on a
 * {@code Group} (a target group's members), and {@code $export-poll-status} to poll, fetch the
 * manifest, or cancel ({@code DELETE}). HAPI's Batch2 job does the work and writes NDJSON files as
 * {@code Binary} resources ({@link BulkExportFiles} serves them). Which types an export may name,
 * whose it is and what its answers carry are {@link BulkExportRules}'; who may export at all is
 * decided in {@code security/}, and each export is logged in {@code audit/}.
 */
@Component
class BulkExportOperations extends BulkDataExportProvider implements RestProvider {}
