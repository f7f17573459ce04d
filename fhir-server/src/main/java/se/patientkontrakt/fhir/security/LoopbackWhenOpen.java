package se.patientkontrakt.fhir.security;

import java.util.Map;
import org.springframework.boot.SpringApplication;
import org.springframework.boot.env.EnvironmentPostProcessor;
import org.springframework.core.env.ConfigurableEnvironment;
import org.springframework.core.env.MapPropertySource;

/**
 * Without a token issuer the server answers anyone, so by default it listens on the loopback
 * address only: {@code server.address=127.0.0.1}, unless the configuration names an address (which
 * {@link SecurityConfig} then refuses, unless anonymous access is explicitly allowed). Set as the
 * lowest-priority property source, so any configured value wins.
 */
class LoopbackWhenOpen implements EnvironmentPostProcessor {

    static final String ISSUER = "spring.security.oauth2.resourceserver.jwt.issuer-uri";
    static final String LOOPBACK = "127.0.0.1";

    @Override
    public void postProcessEnvironment(ConfigurableEnvironment environment, SpringApplication application) {
        boolean open = environment.getProperty(ISSUER, "").isBlank();
        if (open && !environment.containsProperty("server.address")) {
            environment
                    .getPropertySources()
                    .addLast(new MapPropertySource("patientkontrakt-loopback", Map.of("server.address", LOOPBACK)));
        }
    }
}
