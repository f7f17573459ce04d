package se.patientkontrakt.fhir.conformance;

import org.springframework.boot.context.properties.ConfigurationProperties;
import org.springframework.boot.context.properties.bind.DefaultValue;

/**
 * Demo data ({@code patientkontrakt.demo.*}).
 *
 * @param loadExamples load the example contracts from {@code examples/} at start-up, once and
 *     idempotently (their transaction Bundles use stable ids); on in the README's run command,
 *     off in production
 */
@ConfigurationProperties("patientkontrakt.demo")
public record DemoProperties(@DefaultValue("false") boolean loadExamples) {}
