package se.patientkontrakt.fhir.security;

import org.hl7.fhir.r4.model.Bundle;
import org.hl7.fhir.r4.model.Bundle.BundleEntryComponent;
import org.hl7.fhir.r4.model.OperationOutcome;
import org.hl7.fhir.r4.model.OperationOutcome.IssueSeverity;
import org.hl7.fhir.r4.model.OperationOutcome.IssueType;

/**
 * What a search answer says when a spärr left something out, as NPÖ shows it: <i>spärrad
 * information finns</i> (blocked information exists), and nothing about what, whose, or how much.
 * It is an OperationOutcome entry of the searchset ({@code search.mode = outcome}), as FHIR R4
 * places warnings about a search.
 */
final class BlockedInformation {

    static final String TEXT = "Spärrad information finns (blocked information exists): the patient has blocked"
            + " some of their information from this care unit or care giver (spärr under Patientdatalagen), and"
            + " it is not shown. Only the patient can have a spärr lifted, through the care that recorded it.";

    private BlockedInformation() {}

    static BundleEntryComponent entry() {
        OperationOutcome outcome = new OperationOutcome();
        outcome.addIssue()
                .setSeverity(IssueSeverity.INFORMATION)
                .setCode(IssueType.SUPPRESSED)
                .setDiagnostics(TEXT);
        BundleEntryComponent entry = new BundleEntryComponent().setResource(outcome);
        entry.getSearch().setMode(Bundle.SearchEntryMode.OUTCOME);
        return entry;
    }
}
