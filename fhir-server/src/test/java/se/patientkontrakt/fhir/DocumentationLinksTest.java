package se.patientkontrakt.fhir;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.URLDecoder;
import java.nio.charset.StandardCharsets;
import java.nio.file.FileVisitResult;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.SimpleFileVisitor;
import java.nio.file.attribute.BasicFileAttributes;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Every relative link and image in the repository's Markdown files leads somewhere: the file
 * exists, and a {@code #fragment} names a heading of the target as GitHub makes its anchor. The
 * documents are split over several files that link into each other's headings, so a renamed
 * heading or a moved file breaks a link with nothing else to notice it.
 */
class DocumentationLinksTest {

    /** Build output, installed packages and run artefacts hold Markdown that is not ours to keep. */
    private static final Set<String> SKIPPED_DIRECTORIES =
            Set.of("target", "node_modules", ".git", "browser-tests/screenshots");

    private static final Pattern FENCE = Pattern.compile("^\\s*(`{3,}|~{3,})");
    private static final Pattern HEADING = Pattern.compile("^ {0,3}#{1,6}[ \\t]+(.*?)(?:[ \\t]+#+)?[ \\t]*$");
    private static final Pattern INLINE_LINK = Pattern.compile("!?\\[([^\\]]*)\\]\\([^)]*\\)");
    private static final Pattern SCHEME = Pattern.compile("^[A-Za-z][A-Za-z0-9+.-]*:");
    // GitHub keeps letters and digits of any script (å, ä, ö), combining marks, '_', '-' and spaces.
    private static final Pattern NOT_IN_ANCHOR = Pattern.compile("[^\\p{L}\\p{M}\\p{N}_\\- ]");

    @Test
    void everyRelativeLinkInTheMarkdownFilesLeadsToAFileAndHeading() {
        Path root = repositoryRoot();
        List<Path> documents = markdownFiles(root);

        // Guards against a walk that silently found nothing, which would pass any check below.
        assertThat(documents).contains(root.resolve("README.md"), root.resolve("BENCHMARKS.md"));
        assertThat(brokenLinks(root, documents)).as("broken links").isEmpty();
    }

    @Test
    void aMissingFileOrHeadingIsReportedWithFileAndLine(@TempDir Path root) throws IOException {
        Files.createDirectories(root.resolve("docs"));
        Files.writeString(
                root.resolve("README.md"),
                """
                # Start

                See [the guide](docs/guide.md#running-it), [gone](docs/gone.md), [no heading](docs/guide.md#nowhere),
                [here](#start) and ![a picture](docs/missing.png).

                ```sh
                echo "[not a link](nowhere.md)"
                ```

                And `[not a link either](nowhere.md)`.
                """);
        Files.writeString(
                root.resolve("docs/guide.md"),
                "# Guide\n\n## Running it\n\nBack to [the start](../README.md#start).\n");

        assertThat(brokenLinks(root, markdownFiles(root)))
                .containsExactly(
                        "README.md:3: docs/gone.md: no such file",
                        "README.md:3: docs/guide.md#nowhere: no heading in docs/guide.md makes the anchor 'nowhere'",
                        "README.md:4: docs/missing.png: no such file");
    }

    @Test
    void anchorsFollowGitHubsRule() {
        assertThat(
                        anchors(
                                """
                        # Follow-up measures (uppföljning)
                        ## The patient's part: agreement and own actions, by PATCH
                        ### `$evaluate-measure` and [CSV](https://example.org)
                        ## Faults that lose nothing, and running several nodes
                        ## Measured
                        ## Measured
                        ## Measured
                        """))
                .containsExactly(
                        "follow-up-measures-uppföljning",
                        "the-patients-part-agreement-and-own-actions-by-patch",
                        "evaluate-measure-and-csv",
                        "faults-that-lose-nothing-and-running-several-nodes",
                        "measured",
                        "measured-1",
                        "measured-2");
    }

    /**
     * Maven runs the tests in the module directory, an IDE often in the repository root; the root
     * is whichever of the two holds the parent POM beside the module.
     */
    private static Path repositoryRoot() {
        Path workingDirectory = Path.of("").toAbsolutePath();
        for (Path candidate : new Path[] {workingDirectory.getParent(), workingDirectory}) {
            if (candidate != null
                    && Files.isRegularFile(candidate.resolve("pom.xml"))
                    && Files.isDirectory(candidate.resolve("fhir-server"))) {
                return candidate;
            }
        }
        throw new IllegalStateException("no repository root (pom.xml beside fhir-server/) above " + workingDirectory);
    }

    private static List<Path> markdownFiles(Path root) {
        List<Path> files = new ArrayList<>();
        try {
            Files.walkFileTree(root, new SimpleFileVisitor<>() {
                @Override
                public FileVisitResult preVisitDirectory(Path dir, BasicFileAttributes attributes) {
                    String relative = root.relativize(dir).toString().replace('\\', '/');
                    return SKIPPED_DIRECTORIES.contains(relative)
                                    || SKIPPED_DIRECTORIES.contains(
                                            dir.getFileName().toString())
                            ? FileVisitResult.SKIP_SUBTREE
                            : FileVisitResult.CONTINUE;
                }

                @Override
                public FileVisitResult visitFile(Path file, BasicFileAttributes attributes) {
                    if (file.getFileName().toString().endsWith(".md")) {
                        files.add(file);
                    }
                    return FileVisitResult.CONTINUE;
                }
            });
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        files.sort(null);
        return files;
    }

    private static List<String> brokenLinks(Path root, List<Path> documents) {
        Map<Path, Set<String>> anchorsByFile = new HashMap<>();
        List<String> broken = new ArrayList<>();
        for (Path document : documents) {
            String text = read(document);
            String where = root.relativize(document).toString().replace('\\', '/');
            for (Link link : links(text)) {
                String problem = problem(root, document, link.target(), anchorsByFile);
                if (problem != null) {
                    broken.add(where + ":" + link.line() + ": " + link.target() + ": " + problem);
                }
            }
        }
        return broken;
    }

    private static String problem(Path root, Path document, String target, Map<Path, Set<String>> anchorsByFile) {
        if (SCHEME.matcher(target).find()) {
            return null;
        }
        int hash = target.indexOf('#');
        String path = hash < 0 ? target : target.substring(0, hash);
        String fragment = hash < 0 ? null : decode(target.substring(hash + 1));
        int query = path.indexOf('?');
        if (query >= 0) {
            path = path.substring(0, query);
        }
        Path file;
        if (path.isEmpty()) {
            file = document;
        } else {
            // GitHub resolves a leading slash against the repository, not the file system.
            String decoded = decode(path);
            file = (decoded.startsWith("/") ? root.resolve(decoded.substring(1)) : document.resolveSibling(decoded))
                    .normalize();
            if (!Files.exists(file)) {
                return "no such file";
            }
        }
        // Only Markdown headings make anchors; a fragment into a source file (#L12) is GitHub's own.
        if (fragment == null || !file.getFileName().toString().endsWith(".md")) {
            return null;
        }
        Set<String> anchors = anchorsByFile.computeIfAbsent(file, f -> new HashSet<>(anchors(read(f))));
        return anchors.contains(fragment)
                ? null
                : "no heading in " + root.relativize(file).toString().replace('\\', '/') + " makes the anchor '"
                        + fragment + "'";
    }

    record Link(int line, String target) {}

    /** Links and images outside code, which GitHub shows as text and does not follow. */
    private static List<Link> links(String markdown) {
        String prose = withoutCodeSpans(withoutFencedBlocks(markdown));
        List<Link> links = new ArrayList<>();
        // Every "](" outside code opens a link's or an image's destination, nested ones included.
        for (int open = prose.indexOf("]("); open >= 0; open = prose.indexOf("](", open + 2)) {
            int start = open + 2;
            int end = start;
            int depth = 0;
            while (end < prose.length()) {
                char c = prose.charAt(end);
                if (c == '(') {
                    depth++;
                } else if (c == ')' && depth-- == 0) {
                    break;
                } else if (c == '\n') {
                    break;
                }
                end++;
            }
            String destination = prose.substring(start, end).trim();
            // A title may follow the destination: [text](target "title").
            int space = destination.indexOf(' ');
            if (space >= 0) {
                destination = destination.substring(0, space);
            }
            if (destination.startsWith("<") && destination.endsWith(">")) {
                destination = destination.substring(1, destination.length() - 1);
            }
            if (!destination.isEmpty()) {
                links.add(new Link(lineOf(prose, open), destination));
            }
        }
        return links;
    }

    /** Fenced lines become empty, so that offsets still count the same lines. */
    private static String withoutFencedBlocks(String markdown) {
        StringBuilder out = new StringBuilder();
        String fence = null;
        for (String line : markdown.split("\n", -1)) {
            Matcher opening = FENCE.matcher(line);
            if (fence == null && opening.find()) {
                fence = opening.group(1);
                out.append('\n');
            } else if (fence != null) {
                String trimmed = line.strip();
                char fenceChar = fence.charAt(0);
                if (trimmed.startsWith(fence) && trimmed.chars().allMatch(c -> c == fenceChar)) {
                    fence = null;
                }
                out.append('\n');
            } else {
                out.append(line).append('\n');
            }
        }
        return out.toString();
    }

    /**
     * A code span runs from a run of backticks to the next run of the same length, across line
     * ends but not across a blank line, which ends the paragraph; its text is blanked, its line
     * ends kept.
     */
    private static String withoutCodeSpans(String text) {
        StringBuilder out = new StringBuilder(text);
        int i = 0;
        while (i < text.length()) {
            if (text.charAt(i) != '`') {
                i++;
                continue;
            }
            int runEnd = i;
            while (runEnd < text.length() && text.charAt(runEnd) == '`') {
                runEnd++;
            }
            int length = runEnd - i;
            int close = closingRun(text, runEnd, length);
            if (close < 0) {
                i = runEnd;
                continue;
            }
            for (int k = i; k < close + length; k++) {
                if (text.charAt(k) != '\n') {
                    out.setCharAt(k, ' ');
                }
            }
            i = close + length;
        }
        return out.toString();
    }

    private static int closingRun(String text, int from, int length) {
        int paragraphEnd = text.indexOf("\n\n", from);
        int limit = paragraphEnd < 0 ? text.length() : paragraphEnd;
        int j = from;
        while (j < limit) {
            if (text.charAt(j) != '`') {
                j++;
                continue;
            }
            int runEnd = j;
            while (runEnd < text.length() && text.charAt(runEnd) == '`') {
                runEnd++;
            }
            if (runEnd - j == length) {
                return j;
            }
            j = runEnd;
        }
        return -1;
    }

    private static int lineOf(String text, int offset) {
        int line = 1;
        for (int i = 0; i < offset; i++) {
            if (text.charAt(i) == '\n') {
                line++;
            }
        }
        return line;
    }

    /** The anchors of a document's headings in order, as GitHub numbers repeated ones. */
    private static List<String> anchors(String markdown) {
        List<String> anchors = new ArrayList<>();
        Set<String> taken = new HashSet<>();
        Map<String, Integer> repeats = new HashMap<>();
        // The documents use only "#" headings; an underlined (setext) one would be reported missing.
        for (String line : withoutFencedBlocks(markdown).split("\n")) {
            Matcher heading = HEADING.matcher(line);
            if (!heading.matches()) {
                continue;
            }
            String base = slug(heading.group(1));
            String anchor = base;
            while (taken.contains(anchor)) {
                int n = repeats.merge(base, 1, Integer::sum);
                anchor = base + "-" + n;
            }
            taken.add(anchor);
            anchors.add(anchor);
        }
        return anchors;
    }

    /** The anchor is made from the heading as shown, so a link in it counts by its text only. */
    private static String slug(String heading) {
        String shown = INLINE_LINK.matcher(heading).replaceAll("$1");
        return NOT_IN_ANCHOR
                .matcher(shown.toLowerCase(Locale.ROOT))
                .replaceAll("")
                .replace(' ', '-');
    }

    private static String decode(String text) {
        try {
            // Not a form: a '+' in a path or fragment is a plus.
            return URLDecoder.decode(text.replace("+", "%2B"), StandardCharsets.UTF_8);
        } catch (IllegalArgumentException notEncoded) {
            return text;
        }
    }

    private static String read(Path file) {
        try {
            return Files.readString(file, StandardCharsets.UTF_8);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }
}
