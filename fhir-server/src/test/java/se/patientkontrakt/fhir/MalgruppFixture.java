package se.patientkontrakt.fhir;

import ca.uhn.fhir.context.FhirContext;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import org.hl7.fhir.r4.model.Group;
import org.hl7.fhir.r4.model.Narrative;

/**
 * A region's target group ({@code pk-malgrupp}) of a test's own patients, made from the example of
 * Region Kalmar län's RUB 5 population, which names the example region the test server loads at
 * start-up.
 */
public final class MalgruppFixture {

    private static final String RUB_5 = "Group-region-kalmar-lan-rub-5.json";

    private MalgruppFixture() {}

    /** RUB 5 of Region Kalmar län with these patients ({@code Patient/{id}}) as its members. */
    public static Group of(FhirContext fhirContext, String id, String... patientReferences) {
        Group group = fhirContext.newJsonParser().parseResource(Group.class, read());
        group.setId(id);
        group.getMember().clear();
        for (String patient : patientReferences) {
            group.addMember().getEntity().setReference(patient);
        }
        group.setQuantity(patientReferences.length);
        group.getText()
                .setStatus(Narrative.NarrativeStatus.GENERATED)
                .setDivAsString("<div xmlns=\"http://www.w3.org/1999/xhtml\"><p>" + group.getName() + "</p></div>");
        return group;
    }

    private static String read() {
        try (InputStream in =
                MalgruppFixture.class.getClassLoader().getResourceAsStream("conformance/examples/" + RUB_5)) {
            return new String(in.readAllBytes(), StandardCharsets.UTF_8);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }
}
