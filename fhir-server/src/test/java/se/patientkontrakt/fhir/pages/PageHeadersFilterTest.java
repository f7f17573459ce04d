package se.patientkontrakt.fhir.pages;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

/** The pages' Content-Security-Policy, and pages that keep within it. */
class PageHeadersFilterTest {

    private static final Path STATIC = Path.of("src", "main", "resources", "static");

    @Test
    void withoutAnIdentityProviderThePagesCallOnlyThisServer() {
        assertThat(PageHeadersFilter.policy(List.of()))
                .isEqualTo("default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:;"
                        + " connect-src 'self'; frame-ancestors 'none'; base-uri 'none'; form-action 'self'");
    }

    @Test
    void theIdentityProvidersOriginsAreAddedOnceEach() {
        String policy = PageHeadersFilter.policy(List.of(
                URI.create("https://idp.region.se/realms/x/protocol/openid-connect/token"),
                URI.create("https://idp.region.se/realms/x/protocol/openid-connect/auth"),
                URI.create("http://127.0.0.1:9999/authorize")));

        assertThat(policy).contains("; connect-src 'self' https://idp.region.se http://127.0.0.1:9999; ");
    }

    static Stream<Path> pageFiles() throws IOException {
        try (Stream<Path> files = Files.walk(STATIC)) {
            return files
                    .filter(file ->
                            file.toString().endsWith(".html") || file.toString().endsWith(".js"))
                    .sorted()
                    .toList()
                    .stream();
        }
    }

    /**
     * Nothing the policy would refuse: no inline script, no inline style or style attribute, no
     * event handler attribute, no {@code javascript:} URL, no script from elsewhere.
     */
    @ParameterizedTest
    @MethodSource("pageFiles")
    void thePagesHoldNothingInline(Path file) throws IOException {
        String text = Files.readString(file, StandardCharsets.UTF_8);

        assertThat(text)
                .doesNotContainPattern("<script(?![^>]*\\bsrc=)[^>]*>")
                .doesNotContainPattern("<style")
                .doesNotContainPattern("\\sstyle=\"")
                .doesNotContainPattern("\\son[a-z]+=")
                .doesNotContainPattern("javascript:")
                .doesNotContainPattern("setAttribute\\(\\s*'style'")
                .doesNotContainPattern("\\beval\\(|new Function\\(")
                .doesNotContainPattern("src=\"(https?:)?//");
    }
}
