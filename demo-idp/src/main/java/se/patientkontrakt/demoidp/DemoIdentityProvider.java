package se.patientkontrakt.demoidp;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.net.InetAddress;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.stream.Collectors;
import java.util.stream.Stream;
import java.util.stream.StreamSupport;
import no.nav.security.mock.oauth2.MockOAuth2Server;
import no.nav.security.mock.oauth2.OAuth2Config;

/**
 * The demo's identity provider: <a href="https://github.com/navikt/mock-oauth2-server">mock-oauth2-server</a>
 * with the personas of {@code config/personas.json} as its token callbacks (a token request whose
 * {@code username} or {@code client_id} names a persona gets that persona's claims) and
 * {@code config/login.html}, which lists the people among them, as its login page. Never for
 * production: anyone may log in as anyone, without a password.
 *
 * <p>The library's own standalone main would do, but it wants the login page and its directory as
 * absolute paths inside the JSON configuration, and listens on every interface; this one takes the
 * file's settings as they are, adds the two paths from where it finds the directory, and listens on
 * loopback only. {@code --personas} prints who can log in and exits. System properties:
 * {@code demo-idp.port} (default 8090) and {@code demo-idp.config} (default {@code demo-idp/config},
 * from the repository's root, where {@code scripts/demo.sh} runs).
 */
public final class DemoIdentityProvider {

    private DemoIdentityProvider() {}

    public static void main(String[] args) throws IOException {
        Path config = Path.of(System.getProperty("demo-idp.config", "demo-idp/config"))
                .toRealPath();
        String personas = Files.readString(config.resolve("personas.json"));
        if (List.of(args).contains("--personas")) {
            System.out.print(personaTable(personas));
            return;
        }
        int port = Integer.getInteger("demo-idp.port", 8090);
        OAuth2Config configured = OAuth2Config.Companion.fromJson(personas);
        MockOAuth2Server server = new MockOAuth2Server(new OAuth2Config(
                configured.getInteractiveLogin(),
                config.resolve("login.html").toString(),
                // Served under /static/: login.html reads the personas from /static/personas.json,
                // so that the file stays the one place where they are written down.
                config.toString(),
                configured.getRotateRefreshToken(),
                configured.getTokenProvider(),
                configured.getTokenCallbacks(),
                configured.getHttpServer()));
        server.start(InetAddress.getLoopbackAddress(), port);
        Runtime.getRuntime().addShutdownHook(new Thread(server::shutdown));
    }

    /** One line per persona: how a client gets its token (log in as, or client id), who, what scopes. */
    static String personaTable(String personas) throws IOException {
        JsonNode root = new ObjectMapper().readTree(personas);
        return elements(root.path("tokenCallbacks"))
                .flatMap(callback -> elements(callback.path("requestMappings")))
                .filter(mapping -> List.of("username", "client_id")
                        .contains(mapping.path("requestParam").asText()))
                .map(mapping -> String.format(
                        "  %-9s  %-17s %s; %s%n",
                        mapping.path("requestParam").asText().equals("username") ? "log in as" : "client id",
                        mapping.path("match").asText(),
                        who(mapping.path("claims")),
                        mapping.path("claims").path("scope").asText()))
                .collect(Collectors.joining());
    }

    private static String who(JsonNode claims) {
        if (claims.has("patient")) {
            return claims.path("name").asText() + ", patient";
        }
        return Stream.of("name", "title", "healthCareUnitName", "healthCareProviderName")
                .map(name -> claims.path(name).asText())
                .filter(text -> !text.isBlank())
                .distinct()
                .collect(Collectors.joining(", "));
    }

    private static Stream<JsonNode> elements(JsonNode array) {
        return StreamSupport.stream(array.spliterator(), false);
    }
}
