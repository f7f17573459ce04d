package se.patientkontrakt.fhir.conformance;

import static org.assertj.core.api.Assertions.assertThat;

import ca.uhn.fhir.batch2.api.IJobCoordinator;
import java.util.UUID;
import org.hl7.fhir.r4.model.Enumerations;
import org.hl7.fhir.r4.model.Organization;
import org.hl7.fhir.r4.model.SearchParameter;
import org.junit.jupiter.api.Test;
import org.springframework.beans.factory.annotation.Autowired;
import se.patientkontrakt.fhir.FhirIT;
import se.patientkontrakt.fhir.contract.Vocabulary;

/**
 * Storing a definition: a SearchParameter over resources the database holds starts HAPI's
 * reindex of them; one over a type the database holds none of (as on a first start) starts
 * nothing that would later run beside the first writes.
 */
class ConformanceInstallerIT extends FhirIT {

    @Autowired
    private ConformanceInstaller installer;

    @Autowired
    private IJobCoordinator jobs;

    @Test
    void aSearchParameterOverATypeWithNoResourcesStartsNoReindexJob() {
        // No test writes this type.
        String type = "HealthcareService";

        assertThat(installer.storeIfChanged(searchParameter(type))).isTrue();

        assertThat(reindexJobsOver(type)).isZero();
    }

    @Test
    void aSearchParameterOverATypeWithResourcesIsReindexed() {
        String type = "Organization";
        create(new Organization().setName("a resource for the reindex to find"));

        assertThat(installer.storeIfChanged(searchParameter(type))).isTrue();

        assertThat(reindexJobsOver(type)).isPositive();
    }

    private static SearchParameter searchParameter(String type) {
        String code = "pk-test-" + UUID.randomUUID().toString().substring(0, 8);
        SearchParameter parameter = new SearchParameter();
        parameter.setId(code);
        parameter.setUrl(Vocabulary.CANONICAL_BASE + "/SearchParameter/" + code);
        parameter.setName(code);
        parameter.setStatus(Enumerations.PublicationStatus.ACTIVE);
        parameter.setDescription("Only for this test");
        parameter.setCode(code);
        parameter.addBase(type);
        parameter.setType(Enumerations.SearchParamType.TOKEN);
        parameter.setExpression(type + ".identifier");
        return parameter;
    }

    /** REINDEX job instances whose URLs name the type (as {@code Type?}). */
    private long reindexJobsOver(String type) {
        return jobs.getJobInstancesByJobDefinitionId("REINDEX", 1000, 0).stream()
                .filter(job ->
                        job.getParameters() != null && job.getParameters().contains("\"" + type + "?"))
                .count();
    }
}
