package se.patientkontrakt.fhir;

import ca.uhn.fhir.context.FhirContext;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import org.hl7.fhir.r4.model.Consent;
import org.hl7.fhir.r4.model.Narrative;
import org.hl7.fhir.r4.model.Reference;

/**
 * A patient's samtycke or spärr ({@code pk-consent}) for a test's own patient, made from the
 * examples: Esther's samtycke for Nybro kommun, Sara's inre and yttre spärr. They name the example
 * care givers and units, which the test server loads at start-up.
 */
public final class ConsentFixture {

    public static final String SAMTYCKE = "Consent-esther-andersson-samtycke-nybro-kommun.json";
    public static final String INRE_SPARR = "Consent-sara-lindqvist-inre-sparr.json";
    public static final String YTTRE_SPARR = "Consent-sara-lindqvist-yttre-sparr.json";

    private ConsentFixture() {}

    /** The example as a new Consent about the patient ({@code Patient/{id}}), without an id. */
    public static Consent about(FhirContext fhirContext, String example, String patientReference) {
        Consent consent = fhirContext.newJsonParser().parseResource(Consent.class, read(example));
        consent.setId((String) null);
        consent.setPatient(new Reference(patientReference));
        consent.getPerformer().clear();
        consent.addPerformer(new Reference(patientReference));
        consent.getText()
                .setStatus(Narrative.NarrativeStatus.GENERATED)
                .setDivAsString("<div xmlns=\"http://www.w3.org/1999/xhtml\"><p>"
                        + consent.getCategoryFirstRep().getCodingFirstRep().getDisplay() + "</p></div>");
        return consent;
    }

    private static String read(String example) {
        try (InputStream in =
                ConsentFixture.class.getClassLoader().getResourceAsStream("conformance/examples/" + example)) {
            return new String(in.readAllBytes(), StandardCharsets.UTF_8);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }
}
