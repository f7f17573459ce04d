package se.patientkontrakt.fhir.document;

import java.time.format.DateTimeFormatter;
import java.util.List;
import org.hl7.fhir.r4.model.CarePlan;
import org.springframework.stereotype.Component;
import se.patientkontrakt.fhir.contract.Vocabulary;

/**
 * A contract on paper: its title, its description, then each part's heading and text, in the
 * order given; the contract's version and date at the foot of every page ({@link PdfRenderer}).
 * The one way a PDF of a contract is made, for {@code $document} and for the national view.
 */
@Component
public class ContractPrint {

    /** The largest content a GetCarePlans answer carries in itself (Inera's mapping: 100 KB). */
    public static final int MAX_INLINE_BYTES = 100 * 1024;

    private static final DateTimeFormatter DAY =
            DateTimeFormatter.ofPattern("yyyy-MM-dd").withZone(Vocabulary.SWEDEN);

    /**
     * One part of the printed contract.
     *
     * @param title its heading
     * @param div its text, a FHIR narrative {@code div}
     */
    public record Part(String title, String div) {}

    private final PdfRenderer renderer = new PdfRenderer();

    /** The PDF of {@code contract} under {@code title}, made of {@code parts}. */
    public byte[] pdf(CarePlan contract, String title, List<Part> parts, boolean largeType) {
        StringBuilder body = new StringBuilder("<div xmlns=\"http://www.w3.org/1999/xhtml\">");
        if (contract.hasDescription()) {
            body.append("<p>")
                    .append(ContractSections.escape(contract.getDescription()))
                    .append("</p>");
        }
        for (Part part : parts) {
            body.append("<h2>")
                    .append(ContractSections.escape(part.title()))
                    .append("</h2>")
                    .append(part.div());
        }
        body.append("</div>");
        String footer = "Patientkontrakt, version " + contract.getMeta().getVersionId()
                + (contract.getMeta().hasLastUpdated()
                        ? ", " + DAY.format(contract.getMeta().getLastUpdated().toInstant())
                        : "");
        return renderer.render(body.toString(), new PdfRenderer.Page(title, "sv", footer, largeType));
    }

    /** The file name a contract's PDF is offered under. */
    public static String fileName(CarePlan contract, boolean largeType) {
        return ("patientkontrakt-" + contract.getIdElement().getIdPart() + "-version-"
                        + contract.getMeta().getVersionId() + (largeType ? "-stor-text" : "") + ".pdf")
                .replaceAll("[^A-Za-z0-9._-]", "-");
    }
}
