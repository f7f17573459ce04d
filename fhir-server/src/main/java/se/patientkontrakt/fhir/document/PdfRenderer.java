package se.patientkontrakt.fhir.document;

import com.openhtmltopdf.extend.FSCacheEx;
import com.openhtmltopdf.extend.FSCacheValue;
import com.openhtmltopdf.outputdevice.helper.BaseRendererBuilder.FSFontUseCase;
import com.openhtmltopdf.outputdevice.helper.BaseRendererBuilder.FontStyle;
import com.openhtmltopdf.outputdevice.helper.ExternalResourceControlPriority;
import com.openhtmltopdf.pdfboxout.PDFCreationListener;
import com.openhtmltopdf.pdfboxout.PDFontSupplier;
import com.openhtmltopdf.pdfboxout.PdfBoxRenderer;
import com.openhtmltopdf.pdfboxout.PdfRendererBuilder;
import com.openhtmltopdf.util.Diagnostic;
import com.openhtmltopdf.util.XRLog;
import com.openhtmltopdf.util.XRLogger;
import java.awt.color.ColorSpace;
import java.awt.color.ICC_Profile;
import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.Closeable;
import java.io.IOException;
import java.io.InputStream;
import java.io.StringReader;
import java.io.UncheckedIOException;
import java.text.Normalizer;
import java.util.ArrayList;
import java.util.EnumSet;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.Callable;
import java.util.concurrent.ConcurrentHashMap;
import java.util.logging.Level;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import javax.xml.XMLConstants;
import javax.xml.parsers.DocumentBuilder;
import javax.xml.parsers.DocumentBuilderFactory;
import javax.xml.parsers.ParserConfigurationException;
import org.apache.fontbox.FontBoxFont;
import org.apache.fontbox.ttf.TTFParser;
import org.apache.fontbox.ttf.TrueTypeFont;
import org.apache.pdfbox.io.RandomAccessReadBuffer;
import org.apache.pdfbox.pdmodel.PDDocument;
import org.apache.pdfbox.pdmodel.documentinterchange.logicalstructure.PDObjectReference;
import org.apache.pdfbox.pdmodel.documentinterchange.logicalstructure.PDStructureElement;
import org.apache.pdfbox.pdmodel.documentinterchange.logicalstructure.PDStructureTreeRoot;
import org.apache.pdfbox.pdmodel.font.CIDFontMapping;
import org.apache.pdfbox.pdmodel.font.FontMapper;
import org.apache.pdfbox.pdmodel.font.FontMappers;
import org.apache.pdfbox.pdmodel.font.FontMapping;
import org.apache.pdfbox.pdmodel.font.PDCIDSystemInfo;
import org.apache.pdfbox.pdmodel.font.PDFont;
import org.apache.pdfbox.pdmodel.font.PDFontDescriptor;
import org.apache.pdfbox.pdmodel.font.PDType0Font;
import org.apache.pdfbox.pdmodel.interactive.annotation.PDAnnotation;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.w3c.dom.Document;
import org.w3c.dom.Element;
import org.w3c.dom.Node;
import org.w3c.dom.NodeList;
import org.xml.sax.ErrorHandler;
import org.xml.sax.InputSource;
import org.xml.sax.SAXException;
import org.xml.sax.SAXParseException;

/**
 * An XHTML fragment (a FHIR narrative's {@code <div>}) as a printable, accessible PDF: A4, a
 * readable type size (or a large one), the title as its first heading, a footer with the page
 * number on every page, tagged for PDF/UA-1 with the document's title and language, and PDF/A-2a
 * for the archive, with its fonts embedded. (veraPDF found contracts rendered so compliant with
 * both, 2026-12-02.)
 *
 * <p>The fonts are the Liberation fonts (SIL Open Font License 1.1) from the classpath, read once.
 * Nothing in the fragment makes the renderer fetch anything: every external resource (images,
 * style sheets, fonts by URL, embedded files) is refused, and the fragment is parsed here, with no
 * DTD and no external entities, before the renderer sees it.
 *
 * <p>One instance serves any number of threads: each render builds its own document.
 */
public final class PdfRenderer {

    /**
     * What the PDF says about itself. {@code title} is the document's title (PDF/UA requires one)
     * and its first heading; {@code language} a BCP 47 tag, {@code sv} when blank; {@code footer}
     * the text on every page before the page number ("… – sida 1 av 2"); {@code largeType} a
     * larger type and more line spacing, for those who read small print with difficulty.
     */
    public record Page(String title, String language, String footer, boolean largeType) {
        public Page {
            if (title == null || title.isBlank()) {
                throw new IllegalArgumentException("a PDF needs a title (PDF/UA)");
            }
            title = title.strip();
            language = language == null || language.isBlank() ? "sv" : language.strip();
            footer = footer == null ? "" : footer.strip();
        }
    }

    private static final String XHTML = "http://www.w3.org/1999/xhtml";
    private static final String SANS = "Liberation Sans";
    private static final String MONO = "Liberation Mono";

    /**
     * The HTML entities that HAPI's XHTML writer may put in a narrative, which an XML parser
     * without the XHTML DTD does not know; the five of XML itself need no help.
     */
    private static final Map<String, String> HTML_ENTITIES = Map.of(
            "nbsp", "&#160;",
            "sect", "&#167;",
            "copy", "&#169;",
            "reg", "&#174;",
            "mu", "&#956;",
            "trade", "&#8482;");

    private static final Pattern ENTITY = Pattern.compile("&([a-zA-Z]+);");

    /** The output intent's colour profile that PDF/A asks for: the JDK's own sRGB. */
    private static final byte[] SRGB =
            ICC_Profile.getInstance(ColorSpace.CS_sRGB).getData();

    /** Font metrics, kept between renders so that a font is read only when its glyphs are drawn. */
    private static final FSCacheEx<String, FSCacheValue> FONT_METRICS = new MetricsCache();

    /** Reads the fonts (once for the JVM, see {@link Fonts}), so that a missing one shows at once. */
    public PdfRenderer() {
        Fonts.load();
    }

    /**
     * Renders {@code xhtmlBody}, one XHTML {@code <div>} (with or without the XHTML namespace
     * declared) as in a FHIR narrative, with h2/h3/p/ul/ol/li/b/i/table and the like.
     *
     * @return the PDF's bytes
     * @throws IllegalArgumentException when the fragment is not well-formed XML or not one {@code
     *     <div>}
     */
    public byte[] render(String xhtmlBody, Page page) {
        if (xhtmlBody == null || page == null) {
            throw new IllegalArgumentException("nothing to render: the body and the page are required");
        }
        Document document = document(parseFragment(Normalizer.normalize(xhtmlBody, Normalizer.Form.NFC)), page);
        ByteArrayOutputStream pdf = new ByteArrayOutputStream(64 * 1024);
        try (PDDocument target = new PDDocument();
                Fonts fonts = new Fonts(target)) {
            PdfRendererBuilder builder = new PdfRendererBuilder()
                    .withW3cDocument(document, null)
                    .usePDDocument(target)
                    .usePdfUaAccessibility(true)
                    .usePdfAConformance(PdfRendererBuilder.PdfAConformance.PDFA_2_A)
                    .useColorProfile(SRGB)
                    .useCacheStore(PdfRendererBuilder.CacheStore.PDF_FONT_METRICS, FONT_METRICS)
                    .useUriResolver((baseUri, uri) -> null)
                    .useExternalResourceAccessControl(
                            (uri, type) -> false, ExternalResourceControlPriority.RUN_BEFORE_RESOLVING_URI)
                    .useExternalResourceAccessControl(
                            (uri, type) -> false, ExternalResourceControlPriority.RUN_AFTER_RESOLVING_URI)
                    .withProducer("Patientkontrakt")
                    .toStream(pdf);
            fonts.register(builder);
            try (PdfBoxRenderer renderer = builder.buildPdfRenderer()) {
                renderer.setListener(new LinkDescriptions(target));
                renderer.createPDF();
            }
        } catch (IOException e) {
            throw new UncheckedIOException("the PDF could not be written", e);
        }
        return pdf.toByteArray();
    }

    /**
     * Each link's description as its annotation's {@code Contents} too, where PDF/UA asks for it:
     * openhtmltopdf puts the link's {@code title} only on its structure element.
     */
    private record LinkDescriptions(PDDocument target) implements PDFCreationListener {

        @Override
        public void preOpen(PdfBoxRenderer renderer) {}

        @Override
        public void preWrite(PdfBoxRenderer renderer, int pageCount) {}

        @Override
        public void onClose(PdfBoxRenderer renderer) {
            PDStructureTreeRoot root = target.getDocumentCatalog().getStructureTreeRoot();
            if (root != null) {
                describe(root.getKids(), null);
            }
        }

        private static void describe(List<Object> kids, String description) {
            for (Object kid : kids) {
                if (kid instanceof PDStructureElement element) {
                    describe(element.getKids(), element.getAlternateDescription());
                } else if (kid instanceof PDObjectReference reference
                        && reference.getReferencedObject() instanceof PDAnnotation annotation
                        && annotation.getContents() == null
                        && description != null) {
                    annotation.setContents(description);
                }
            }
        }
    }

    /** The fragment's root element, parsed on its own: a broken fragment is the caller's error. */
    private static Element parseFragment(String xhtmlBody) {
        Document fragment;
        try {
            fragment = parser().parse(new InputSource(new StringReader(withNumericEntities(xhtmlBody))));
        } catch (SAXParseException e) {
            throw new IllegalArgumentException(
                    "the XHTML is not well-formed (line " + e.getLineNumber() + ", column " + e.getColumnNumber()
                            + "): " + e.getMessage(),
                    e);
        } catch (SAXException e) {
            throw new IllegalArgumentException("the XHTML is not well-formed: " + e.getMessage(), e);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        Element root = fragment.getDocumentElement();
        String namespace = root.getNamespaceURI();
        if (!"div".equals(root.getLocalName()) || !(namespace == null || XHTML.equals(namespace))) {
            throw new IllegalArgumentException(
                    "the XHTML must be one <div> element (as a FHIR narrative), not <" + root.getTagName() + ">");
        }
        return root;
    }

    private static String withNumericEntities(String xhtml) {
        if (xhtml.indexOf('&') < 0) {
            return xhtml;
        }
        Matcher entity = ENTITY.matcher(xhtml);
        StringBuilder result = new StringBuilder(xhtml.length());
        while (entity.find()) {
            String replacement = HTML_ENTITIES.getOrDefault(entity.group(1), entity.group());
            entity.appendReplacement(result, Matcher.quoteReplacement(replacement));
        }
        entity.appendTail(result);
        return result.toString();
    }

    /** The JDK's own parser, whatever else is on the classpath, with no DTD and nothing external. */
    private static DocumentBuilder parser() {
        try {
            DocumentBuilderFactory factory = DocumentBuilderFactory.newDefaultInstance();
            factory.setNamespaceAware(true);
            factory.setFeature("http://apache.org/xml/features/disallow-doctype-decl", true);
            factory.setFeature(XMLConstants.FEATURE_SECURE_PROCESSING, true);
            factory.setAttribute(XMLConstants.ACCESS_EXTERNAL_DTD, "");
            factory.setAttribute(XMLConstants.ACCESS_EXTERNAL_SCHEMA, "");
            factory.setXIncludeAware(false);
            factory.setExpandEntityReferences(false);
            DocumentBuilder builder = factory.newDocumentBuilder();
            // The default handler prints each error to stderr before it throws.
            builder.setErrorHandler(new ErrorHandler() {
                @Override
                public void warning(SAXParseException e) {}

                @Override
                public void error(SAXParseException e) throws SAXParseException {
                    throw e;
                }

                @Override
                public void fatalError(SAXParseException e) throws SAXParseException {
                    throw e;
                }
            });
            return builder;
        } catch (ParserConfigurationException e) {
            throw new IllegalStateException("the JDK's XML parser cannot be configured", e);
        }
    }

    /** {@code <html lang><head><title/><meta/><style/></head><body>footer, h1, the fragment</body></html>}. */
    private static Document document(Element body, Page page) {
        Document document = parser().newDocument();
        Element html = document.createElementNS(XHTML, "html");
        html.setAttribute("lang", page.language());
        html.setAttributeNS(XMLConstants.XML_NS_URI, "xml:lang", page.language());
        document.appendChild(html);

        Element head = append(html, "head");
        append(head, "title").setTextContent(page.title());
        Element subject = append(head, "meta");
        // openhtmltopdf's name for the document's description (Subject, XMP dc:description).
        subject.setAttribute("name", "subject");
        subject.setAttribute("content", page.title());
        append(head, "style").setTextContent(css(page.largeType()));

        Element bodyElement = append(html, "body");
        // A running element: it must come before the content to be on the first page too.
        Element footer = append(bodyElement, "div");
        footer.setAttribute("class", "sidfot");
        footer.appendChild(document.createTextNode((page.footer().isEmpty() ? "" : page.footer() + " – ") + "sida "));
        append(footer, "span").setAttribute("class", "sida");
        footer.appendChild(document.createTextNode(" av "));
        append(footer, "span").setAttribute("class", "sidor");

        append(bodyElement, "h1").setTextContent(page.title());
        intoXhtml(document, bodyElement.appendChild(document.importNode(body, true)));
        describeLinks(bodyElement);
        return document;
    }

    /**
     * PDF/UA wants a description on every link; openhtmltopdf takes it from {@code title}, so a
     * link without one gets its text (or, with no text, its address).
     */
    private static void describeLinks(Element body) {
        NodeList links = body.getElementsByTagNameNS(XHTML, "a");
        for (int i = 0; i < links.getLength(); i++) {
            Element link = (Element) links.item(i);
            if (link.hasAttribute("href") && link.getAttribute("title").isBlank()) {
                String text = link.getTextContent().strip();
                link.setAttribute("title", text.isEmpty() ? link.getAttribute("href") : text);
            }
        }
    }

    /** A fragment without {@code xmlns} is XHTML all the same: its elements move into the namespace. */
    private static Node intoXhtml(Document document, Node node) {
        if (node.getNodeType() != Node.ELEMENT_NODE) {
            return node;
        }
        Node element = node.getNamespaceURI() == null ? document.renameNode(node, XHTML, node.getNodeName()) : node;
        for (Node child = element.getFirstChild(); child != null; child = child.getNextSibling()) {
            child = intoXhtml(document, child);
        }
        return element;
    }

    private static Element append(Element parent, String name) {
        Element element = parent.getOwnerDocument().createElementNS(XHTML, name);
        parent.appendChild(element);
        return element;
    }

    private static String css(boolean largeType) {
        String size = largeType ? "16pt" : "12pt";
        String lineHeight = largeType ? "1.6" : "1.35";
        String footerSize = largeType ? "12pt" : "9pt";
        return """
                @page {
                  size: A4;
                  margin: 20mm 20mm 25mm 20mm;
                  @bottom-center { content: element(sidfot); vertical-align: top; padding-top: 4mm; }
                }
                html { font-family: '%1$s'; font-size: %2$s; line-height: %3$s; color: #000000; }
                body { margin: 0; }
                .sidfot { position: running(sidfot); font-size: %4$s; color: #333333; text-align: center; }
                .sida::after { content: counter(page); }
                .sidor::after { content: counter(pages); }
                h1 { font-size: 1.6em; line-height: 1.2; margin: 0 0 0.6em 0; }
                h2 { font-size: 1.35em; line-height: 1.25; margin: 1.1em 0 0.4em 0; page-break-after: avoid; }
                h3 { font-size: 1.15em; line-height: 1.25; margin: 0.9em 0 0.3em 0; page-break-after: avoid; }
                h4, h5, h6 { font-size: 1em; margin: 0.8em 0 0.3em 0; page-break-after: avoid; }
                p { margin: 0 0 0.6em 0; orphans: 2; widows: 2; }
                ul, ol { margin: 0 0 0.6em 0; padding-left: 1.6em; }
                li { margin: 0 0 0.25em 0; }
                table { border-collapse: collapse; width: 100%%; margin: 0 0 0.8em 0; -fs-table-paginate: paginate; }
                th, td { border: 1px solid #555555; padding: 0.25em 0.4em; text-align: left; vertical-align: top; }
                th { font-weight: bold; }
                tr { page-break-inside: avoid; }
                code, pre, kbd, samp, tt { font-family: '%5$s'; }
                pre { white-space: pre-wrap; }
                """
                .formatted(SANS, size, lineHeight, footerSize, MONO);
    }

    /**
     * The fonts of one render, each parsed from bytes read once from the classpath when first
     * drawn. They are parsed here, not by openhtmltopdf, to turn off PDFBox's glyph substitution
     * (GSUB: ligatures, composed characters), which took more than half of a render's time; the
     * text is in NFC, so å, ä and ö need no composing.
     *
     * <p>Loading the class also sets two things for the whole JVM, where nothing else uses
     * openhtmltopdf or PDFBox: openhtmltopdf logs through SLF4J (its INFO, a few lines per render,
     * as DEBUG) instead of its own console handler, and PDFBox answers every font a PDF names
     * without embedding it with Liberation Sans: openhtmltopdf makes a Helvetica (unused, for forms)
     * in every render, which would otherwise have PDFBox scan the machine's fonts and write its
     * cache of them into the home directory.
     */
    private static final class Fonts implements Closeable {

        private record Face(String family, String resource, int weight, FontStyle style) {}

        private static final List<Face> FACES = List.of(
                new Face(SANS, "liberation/LiberationSans-Regular.ttf", 400, FontStyle.NORMAL),
                new Face(SANS, "liberation/LiberationSans-Bold.ttf", 700, FontStyle.NORMAL),
                new Face(SANS, "liberation/LiberationSans-Italic.ttf", 400, FontStyle.ITALIC),
                new Face(SANS, "liberation/LiberationSans-BoldItalic.ttf", 700, FontStyle.ITALIC),
                new Face(MONO, "liberation/LiberationMono-Regular.ttf", 400, FontStyle.NORMAL),
                new Face(MONO, "liberation/LiberationMono-Bold.ttf", 700, FontStyle.NORMAL));

        private static final Map<Face, byte[]> BYTES = read();

        static {
            XRLog.setLoggerImpl(new Slf4jLog());
            FontMappers.set(new OnlyOurFonts(BYTES.get(FACES.get(0))));
        }

        static void load() {
            // The class initialiser has read them.
        }

        private static Map<Face, byte[]> read() {
            Map<Face, byte[]> bytes = new HashMap<>();
            for (Face face : FACES) {
                try (InputStream in = PdfRenderer.class.getClassLoader().getResourceAsStream(face.resource())) {
                    if (in == null) {
                        throw new IllegalStateException("font " + face.resource() + " is not on the classpath");
                    }
                    bytes.put(face, in.readAllBytes());
                } catch (IOException e) {
                    throw new UncheckedIOException("font " + face.resource() + " could not be read", e);
                }
            }
            return Map.copyOf(bytes);
        }

        private final PDDocument target;
        private final List<TrueTypeFont> parsed = new ArrayList<>();

        Fonts(PDDocument target) {
            this.target = target;
        }

        /**
         * Each face for its family, and Liberation Sans also as the last resort for any other
         * family a style attribute may name (PDF/UA allows no font that is not embedded); that one
         * openhtmltopdf parses itself, with glyph substitution, as it is seldom drawn.
         */
        void register(PdfRendererBuilder builder) {
            for (Face face : FACES) {
                byte[] bytes = BYTES.get(face);
                builder.useFont(new Lazy(bytes), face.family(), face.weight(), face.style(), true);
                if (face.family().equals(SANS)) {
                    builder.useFont(
                            () -> new ByteArrayInputStream(bytes),
                            face.family(),
                            face.weight(),
                            face.style(),
                            true,
                            EnumSet.of(FSFontUseCase.FALLBACK_FINAL));
                }
            }
        }

        @Override
        public void close() throws IOException {
            for (TrueTypeFont font : parsed) {
                font.close();
            }
        }

        /** A face, parsed and added to the PDF (as a subset) when openhtmltopdf first draws with it. */
        private final class Lazy extends PDFontSupplier {

            private final byte[] bytes;
            private PDFont font;

            Lazy(byte[] bytes) {
                super(null);
                this.bytes = bytes;
            }

            @Override
            public PDFont supply() {
                if (font == null) {
                    try {
                        TrueTypeFont ttf = new TTFParser().parse(new RandomAccessReadBuffer(bytes));
                        parsed.add(ttf);
                        ttf.setEnableGsub(false);
                        font = PDType0Font.load(target, ttf, true);
                    } catch (IOException e) {
                        throw new UncheckedIOException("a font could not be read", e);
                    }
                }
                return font;
            }
        }
    }

    /**
     * PDFBox's stand-in fonts: Liberation Sans for every font that a PDF does not embed, given as
     * the font's own (not a "fallback", which PDFBox would log each time).
     */
    private static final class OnlyOurFonts implements FontMapper {

        private final TrueTypeFont sans;

        OnlyOurFonts(byte[] sans) {
            try {
                this.sans = new TTFParser().parse(new RandomAccessReadBuffer(sans));
            } catch (IOException e) {
                throw new UncheckedIOException("Liberation Sans could not be read", e);
            }
        }

        @Override
        public FontMapping<TrueTypeFont> getTrueTypeFont(String baseFont, PDFontDescriptor descriptor) {
            return new FontMapping<>(sans, false);
        }

        @Override
        public FontMapping<FontBoxFont> getFontBoxFont(String baseFont, PDFontDescriptor descriptor) {
            return new FontMapping<>(sans, false);
        }

        @Override
        public CIDFontMapping getCIDFont(String baseFont, PDFontDescriptor descriptor, PDCIDSystemInfo cidSystemInfo) {
            return new CIDFontMapping(null, sans, false);
        }
    }

    /** openhtmltopdf's log lines, to SLF4J: SEVERE as ERROR, WARNING as WARN, the rest as DEBUG. */
    private static final class Slf4jLog implements XRLogger {

        @Override
        public void log(String where, Level level, String msg) {
            log(where, level, msg, null);
        }

        @Override
        public void log(String where, Level level, String msg, Throwable th) {
            Logger logger = LoggerFactory.getLogger(where);
            if (level.intValue() >= Level.SEVERE.intValue()) {
                logger.error(msg, th);
            } else if (level.intValue() >= Level.WARNING.intValue()) {
                logger.warn(msg, th);
            } else {
                logger.debug(msg, th);
            }
        }

        @Override
        public void setLevel(String logger, Level level) {
            // The levels are SLF4J's, set in the logging configuration.
        }

        @Override
        public boolean isLogLevelEnabled(Diagnostic diagnostic) {
            Logger logger = LoggerFactory.getLogger(diagnostic.getLogMessageId().getWhere());
            return diagnostic.getLevel().intValue() >= Level.WARNING.intValue()
                    ? logger.isWarnEnabled()
                    : logger.isDebugEnabled();
        }
    }

    /** A map, without the log line per look-up of openhtmltopdf's own default store. */
    private static final class MetricsCache implements FSCacheEx<String, FSCacheValue> {

        private final Map<String, FSCacheValue> values = new ConcurrentHashMap<>();

        @Override
        public void put(String key, FSCacheValue value) {
            values.put(key, value);
        }

        @Override
        public FSCacheValue get(String key, Callable<? extends FSCacheValue> loader) {
            FSCacheValue value = values.get(key);
            if (value != null) {
                return value;
            }
            try {
                value = loader.call();
            } catch (Exception e) {
                return null;
            }
            if (value != null) {
                values.put(key, value);
            }
            return value;
        }

        @Override
        public FSCacheValue get(String key) {
            return values.get(key);
        }
    }
}
