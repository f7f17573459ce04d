package se.patientkontrakt.fhir.server;

import java.util.UUID;
import org.hl7.fhir.r4.model.Enumerations.AdministrativeGender;
import org.hl7.fhir.r4.model.Observation;
import org.hl7.fhir.r4.model.Patient;
import org.hl7.fhir.r4.model.Quantity;
import org.hl7.fhir.r4.model.Reference;

/** Small builders for test data; every resource gets identifiers no other test uses. */
final class Fixtures {

    static final String TEST_IDENTIFIER_SYSTEM = "urn:uuid:patientkontrakt-test";

    private Fixtures() {}

    static String uniqueValue() {
        return UUID.randomUUID().toString();
    }

    static Patient patient(String family) {
        Patient patient = new Patient();
        patient.addIdentifier().setSystem(TEST_IDENTIFIER_SYSTEM).setValue(uniqueValue());
        patient.addName().setFamily(family).addGiven("Test");
        patient.setGender(AdministrativeGender.FEMALE);
        return patient;
    }

    /** A body-weight observation about the patient, for references, _include and _revinclude. */
    static Observation weight(String patientId, double kilograms) {
        Observation observation = new Observation();
        observation.setStatus(Observation.ObservationStatus.FINAL);
        observation.getCode().addCoding().setSystem("http://loinc.org").setCode("29463-7");
        observation.setSubject(new Reference(patientId));
        observation.setValue(new Quantity().setValue(kilograms).setUnit("kg"));
        return observation;
    }
}
