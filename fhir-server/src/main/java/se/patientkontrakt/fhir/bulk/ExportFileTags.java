package se.patientkontrakt.fhir.bulk;

import ca.uhn.fhir.interceptor.api.Hook;
import ca.uhn.fhir.interceptor.api.Pointcut;
import java.util.Optional;
import org.hl7.fhir.instance.model.api.IBaseResource;
import org.hl7.fhir.r4.model.Binary;
import org.hl7.fhir.r4.model.Coding;
import org.hl7.fhir.r4.model.Extension;
import org.springframework.stereotype.Component;
import se.patientkontrakt.fhir.server.HookOrder;
import se.patientkontrakt.fhir.server.StorageInterceptor;

/**
 * Tags each export file, as HAPI stores it, with the export that wrote it ({@code meta.tag}, system
 * {@link #SYSTEM}, code the job id), so that the files of an export can be found by a search: those
 * HAPI lists in a completed export's report, and those it wrote for an export that was cancelled
 * while it ran, which no report lists (measured: 56 files, written until a minute after the cancel,
 * of an export of 100,000 contracts cancelled after 90 s). HAPI names the job on the file only in a
 * meta extension, which no search parameter indexes.
 */
@Component
class ExportFileTags implements StorageInterceptor {

    /** The tag's system: the identifier HAPI's extension uses for the job. */
    static final String SYSTEM = BulkExportFiles.JOB_ID;

    /** The export a file names: by its tag, or, on a file stored before the tags, by HAPI's extension. */
    static Optional<String> exportOf(Binary file) {
        Optional<String> tagged = file.getMeta().getTag().stream()
                .filter(tag -> SYSTEM.equals(tag.getSystem()) && tag.hasCode())
                .map(Coding::getCode)
                .findFirst();
        if (tagged.isPresent()) {
            return tagged;
        }
        Extension job = file.getMeta().getExtensionByUrl(BulkExportFiles.JOB_ID);
        return job != null && job.hasValue() ? Optional.of(job.getValue().primitiveValue()) : Optional.empty();
    }

    @Hook(value = Pointcut.STORAGE_PRESTORAGE_RESOURCE_CREATED, order = HookOrder.CONTENT + 70)
    public void tagTheFile(IBaseResource resource) {
        if (resource instanceof Binary file) {
            Extension job = file.getMeta().getExtensionByUrl(BulkExportFiles.JOB_ID);
            if (job != null
                    && job.hasValue()
                    && file.getMeta().getTag(SYSTEM, job.getValue().primitiveValue()) == null) {
                file.getMeta().addTag().setSystem(SYSTEM).setCode(job.getValue().primitiveValue());
            }
        }
    }
}
