package se.patientkontrakt.fhir.server;

import java.util.UUID;
import org.hl7.fhir.r4.model.Enumerations.AdministrativeGender;
import org.hl7.fhir.r4.model.Goal;
import org.hl7.fhir.r4.model.Patient;
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

    /** A goal of the patient's, for references, _include and _revinclude. */
    static Goal goal(String patientId, String text) {
        Goal goal = new Goal();
        goal.setLifecycleStatus(Goal.GoalLifecycleStatus.ACTIVE);
        goal.getDescription().setText(text);
        goal.setSubject(new Reference(patientId));
        return goal;
    }
}
