package se.patientkontrakt.fhir.security;

import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.api.Assertions.assertDoesNotThrow;
import static org.junit.jupiter.api.Assertions.assertThrows;

import org.junit.jupiter.api.Test;
import org.springframework.boot.SpringApplication;
import org.springframework.mock.env.MockEnvironment;

/** Without a token issuer the server is open: loopback only, unless anonymous access is allowed. */
class OpenServerTest {

    private final LoopbackWhenOpen loopback = new LoopbackWhenOpen();

    @Test
    void anOpenServerListensOnLoopbackByDefault() {
        MockEnvironment environment = new MockEnvironment();

        loopback.postProcessEnvironment(environment, new SpringApplication());

        assertThat(environment.getProperty("server.address")).isEqualTo("127.0.0.1");
    }

    @Test
    void aConfiguredAddressWins() {
        MockEnvironment environment = new MockEnvironment().withProperty("server.address", "0.0.0.0");

        loopback.postProcessEnvironment(environment, new SpringApplication());

        assertThat(environment.getProperty("server.address")).isEqualTo("0.0.0.0");
    }

    @Test
    void withAnIssuerTheAddressIsLeftAlone() {
        MockEnvironment environment =
                new MockEnvironment().withProperty(LoopbackWhenOpen.ISSUER, "https://idp.example.se/realms/region");

        loopback.postProcessEnvironment(environment, new SpringApplication());

        assertThat(environment.getProperty("server.address")).isNull();
    }

    @Test
    void anOpenServerRefusesANonLoopbackAddress() {
        IllegalStateException refused = assertThrows(
                IllegalStateException.class, () -> SecurityConfig.checkOpenServerMayListen("0.0.0.0", false));

        assertThat(refused.getMessage())
                .contains("issuer-uri")
                .contains("patientkontrakt.security.allow-anonymous=true");
    }

    @Test
    void anOpenServerMayListenOnLoopbackOrWhenAnonymousAccessIsAllowed() {
        assertDoesNotThrow(() -> SecurityConfig.checkOpenServerMayListen("127.0.0.1", false));
        assertDoesNotThrow(() -> SecurityConfig.checkOpenServerMayListen("::1", false));
        assertDoesNotThrow(() -> SecurityConfig.checkOpenServerMayListen("0.0.0.0", true));
    }
}
