package se.patientkontrakt.fhir.document;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.io.IOException;
import java.io.InputStream;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.net.SocketTimeoutException;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.stream.Collectors;
import java.util.stream.IntStream;
import org.apache.pdfbox.Loader;
import org.apache.pdfbox.cos.COSName;
import org.apache.pdfbox.pdmodel.PDDocument;
import org.apache.pdfbox.pdmodel.PDDocumentCatalog;
import org.apache.pdfbox.pdmodel.PDPage;
import org.apache.pdfbox.pdmodel.PDResources;
import org.apache.pdfbox.pdmodel.font.PDFont;
import org.apache.pdfbox.pdmodel.graphics.PDXObject;
import org.apache.pdfbox.pdmodel.graphics.form.PDFormXObject;
import org.apache.pdfbox.pdmodel.interactive.annotation.PDAnnotation;
import org.apache.pdfbox.text.PDFTextStripper;
import org.junit.jupiter.api.Test;

class PdfRendererTest {

    private static final String TITLE = "Patientkontrakt för Åsa Öberg";
    private static final String FOOTER = "Patientkontrakt version 3, 2026-11-02";

    private final PdfRenderer renderer = new PdfRenderer();

    /** A contract's narrative, long enough for two pages or more in the normal type size. */
    private static String contract() {
        String steps = IntStream.rangeClosed(1, 45)
                .mapToObj(i -> "<li>Steg " + i + ": gå en promenad på förmiddagen och ät frukost i lugn och ro, "
                        + "så att blodsockret hålls jämnt över dagen</li>")
                .collect(Collectors.joining());
        return """
                <div xmlns="http://www.w3.org/1999/xhtml">
                  <h2>Vad är viktigt för mig</h2>
                  <p>Att kunna <b>gå till affären</b> själv och träffa barnbarnen på söndagar. Höstens
                     kräftskiva på ön är årets höjdpunkt.</p>
                  <h2>Gemensamt mål</h2>
                  <p><i>Blodtrycket</i> under 140/90 före midsommar.</p>
                  <table>
                    <thead><tr><th>Vem</th><th>Gör vad</th></tr></thead>
                    <tbody>
                      <tr><td>Jag</td><td>Mäter blodtrycket varje morgon</td></tr>
                      <tr><td>Distriktssköterskan</td><td>Följer upp var fjärde vecka</td></tr>
                    </tbody>
                  </table>
                  <h3>Så här gör jag</h3>
                  <ul>%s</ul>
                  <h2>Vid försämring</h2>
                  <p>Ring vårdcentralen på 08-123 45 67, eller 1177 när vårdcentralen är stängd.</p>
                </div>
                """
                .formatted(steps);
    }

    private static PdfRenderer.Page page(boolean largeType) {
        return new PdfRenderer.Page(TITLE, "sv", FOOTER, largeType);
    }

    @Test
    void theTextIsThereWithTheSwedishLetters() throws IOException {
        try (PDDocument pdf = Loader.loadPDF(renderer.render(contract(), page(false)))) {
            assertThat(text(pdf, 1, pdf.getNumberOfPages()))
                    .contains(TITLE)
                    .contains("Vad är viktigt för mig")
                    .contains("Gemensamt mål")
                    .contains("Vid försämring")
                    .contains("kräftskiva på ön är årets höjdpunkt")
                    .contains("Steg 45: gå en promenad på förmiddagen")
                    .contains("Distriktssköterskan");
        }
    }

    @Test
    void everyPageHasTheFooterAndItsNumber() throws IOException {
        try (PDDocument pdf = Loader.loadPDF(renderer.render(contract(), page(false)))) {
            int pages = pdf.getNumberOfPages();
            assertThat(pages).isGreaterThanOrEqualTo(2);

            for (int number = 1; number <= pages; number++) {
                assertThat(text(pdf, number, number))
                        .as("page %d", number)
                        .contains(FOOTER + " – sida " + number + " av " + pages);
            }
        }
    }

    @Test
    void everyFontIsEmbedded() throws IOException {
        String anyFamily = "<div xmlns=\"http://www.w3.org/1999/xhtml\"><p style=\"font-family: 'Comic Sans MS'\">"
                + "Åäö i ett typsnitt som inte finns</p><p><code>kod: åäö</code> <b><i>fet kursiv</i></b></p></div>";
        for (String body : List.of(contract(), anyFamily)) {
            try (PDDocument pdf = Loader.loadPDF(renderer.render(body, page(false)))) {
                assertThat(text(pdf, 1, pdf.getNumberOfPages())).contains("för Åsa Öberg");
                List<PDFont> fonts = new ArrayList<>();
                for (PDPage page : pdf.getPages()) {
                    collectFonts(page.getResources(), fonts);
                }

                assertThat(fonts).isNotEmpty();
                assertThat(fonts)
                        .allSatisfy(font ->
                                assertThat(font.isEmbedded()).as(font.getName()).isTrue());
                assertThat(fonts).allSatisfy(font -> assertThat(font.getName()).contains("Liberation"));
            }
        }
    }

    /** The text of pages {@code first} to {@code last}, in reading order, each run of white space as one space. */
    private static String text(PDDocument pdf, int first, int last) throws IOException {
        PDFTextStripper stripper = new PDFTextStripper();
        // In the content stream, bold runs and the page numbers come after the rest of their line.
        stripper.setSortByPosition(true);
        stripper.setStartPage(first);
        stripper.setEndPage(last);
        return stripper.getText(pdf).replaceAll("\\s+", " ");
    }

    private static void collectFonts(PDResources resources, List<PDFont> fonts) throws IOException {
        if (resources == null) {
            return;
        }
        for (COSName name : resources.getFontNames()) {
            fonts.add(resources.getFont(name));
        }
        for (COSName name : resources.getXObjectNames()) {
            PDXObject object = resources.getXObject(name);
            if (object instanceof PDFormXObject form) {
                collectFonts(form.getResources(), fonts);
            }
        }
    }

    @Test
    void itIsTaggedWithItsTitleAndLanguage() throws IOException {
        try (PDDocument pdf = Loader.loadPDF(renderer.render(contract(), page(false)))) {
            PDDocumentCatalog catalog = pdf.getDocumentCatalog();

            assertThat(catalog.getMarkInfo()).isNotNull();
            assertThat(catalog.getMarkInfo().isMarked()).isTrue();
            assertThat(catalog.getStructureTreeRoot()).isNotNull();
            assertThat(catalog.getStructureTreeRoot().getKids()).isNotEmpty();
            assertThat(catalog.getLanguage()).isEqualTo("sv");
            assertThat(pdf.getDocumentInformation().getTitle()).isEqualTo(TITLE);
            assertThat(catalog.getViewerPreferences().displayDocTitle()).isTrue();
            try (InputStream xmp = catalog.getMetadata().exportXMPMetadata()) {
                assertThat(new String(xmp.readAllBytes(), StandardCharsets.UTF_8))
                        .contains(TITLE)
                        .contains("<pdfuaid:part>1</pdfuaid:part>")
                        .contains("<pdfaid:part>2</pdfaid:part>");
            }
        }
    }

    @Test
    void aLinkIsDescribed() throws IOException {
        String body = "<div xmlns=\"http://www.w3.org/1999/xhtml\"><p>Läs mer på "
                + "<a href=\"https://www.1177.se/\">1177 Vårdguiden</a>.</p></div>";
        try (PDDocument pdf = Loader.loadPDF(renderer.render(body, page(false)))) {
            List<PDAnnotation> annotations = pdf.getPage(0).getAnnotations();

            assertThat(annotations).singleElement().satisfies(link -> assertThat(link.getContents())
                    .isEqualTo("1177 Vårdguiden"));
        }
    }

    @Test
    void largeTypeTakesMorePages() throws IOException {
        try (PDDocument normal = Loader.loadPDF(renderer.render(contract(), page(false)));
                PDDocument large = Loader.loadPDF(renderer.render(contract(), page(true)))) {
            assertThat(large.getNumberOfPages()).isGreaterThan(normal.getNumberOfPages());
        }
    }

    @Test
    void aFragmentWithoutTheNamespaceIsXhtmlAllTheSame() throws IOException {
        String body = "<div><h2>Vid försämring</h2><p>Ring &nbsp;1177.</p></div>";
        try (PDDocument pdf = Loader.loadPDF(renderer.render(body, new PdfRenderer.Page(TITLE, null, null, false)))) {
            assertThat(text(pdf, 1, 1))
                    .contains("Vid försämring")
                    .contains("1177")
                    .contains("sida 1 av 1");
            assertThat(pdf.getDocumentCatalog().getLanguage()).isEqualTo("sv");
        }
    }

    @Test
    void malformedXhtmlIsTheCallersError() {
        assertThatThrownBy(() -> renderer.render("<div xmlns=\"http://www.w3.org/1999/xhtml\"><p>Öppen", page(false)))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("not well-formed");
        assertThatThrownBy(() -> renderer.render("<p>Inte en div</p>", page(false)))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("<div>");
        assertThatThrownBy(() -> renderer.render(
                        "<!DOCTYPE div [<!ENTITY x SYSTEM \"file:///etc/passwd\">]><div>&x;</div>", page(false)))
                .isInstanceOf(IllegalArgumentException.class);
        assertThatThrownBy(() -> renderer.render("<div>&okänd;</div>", page(false)))
                .isInstanceOf(IllegalArgumentException.class);
        assertThatThrownBy(() -> new PdfRenderer.Page(" ", "sv", FOOTER, false))
                .isInstanceOf(IllegalArgumentException.class);
    }

    @Test
    void nothingInTheBodyIsFetched() throws IOException {
        try (ServerSocket server = new ServerSocket(0, 50, InetAddress.getLoopbackAddress())) {
            String url = "http://127.0.0.1:" + server.getLocalPort();
            String body = "<div xmlns=\"http://www.w3.org/1999/xhtml\">"
                    + "<p style=\"background-image: url('" + url + "/bakgrund.png')\">Bild:</p>"
                    + "<img src=\"" + url + "/bild.png\" alt=\"en bild\"/>"
                    + "<img src=\"file:///etc/hostname\" alt=\"en fil\"/>"
                    + "<object type=\"image/svg+xml\" data=\"" + url + "/bild.svg\">svg</object>"
                    + "<link rel=\"stylesheet\" href=\"" + url + "/stil.css\"/>"
                    + "<p><a href=\"" + url + "/sida\">En länk</a></p></div>";

            byte[] pdf = renderer.render(body, page(false));

            assertThat(pdf).isNotEmpty();
            server.setSoTimeout(200);
            assertThatThrownBy(server::accept)
                    .as("a connection to the loopback server")
                    .isInstanceOf(SocketTimeoutException.class);
        }
    }

    @Test
    void aContractRendersQuickly() {
        String body = contract();
        for (int i = 0; i < 5; i++) {
            renderer.render(body, page(false));
        }
        int runs = 20;
        long start = System.nanoTime();
        int bytes = 0;
        for (int i = 0; i < runs; i++) {
            bytes = renderer.render(body, page(false)).length;
        }
        double millis = (System.nanoTime() - start) / 1e6 / runs;
        System.out.printf(
                "PdfRenderer: %.1f ms per render of a %d-byte PDF (mean of %d, after warm-up)%n", millis, bytes, runs);
        assertThat(bytes).isPositive();
    }
}
