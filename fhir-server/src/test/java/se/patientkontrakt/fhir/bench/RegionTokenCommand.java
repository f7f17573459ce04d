package se.patientkontrakt.fhir.bench;

import se.patientkontrakt.fhir.security.TestTokens;

/**
 * Prints a token of the region's follow-up client ({@code region-follow-up}, a region-wide client
 * once the server names it in {@code patientkontrakt.pdl.region-wide-clients}) from the test issuer
 * ({@code fhir-server/src/test/resources/auth}), valid for three hours, with the scopes given as
 * arguments. For benchmarks against a server that trusts the test issuer, never for production.
 *
 * <p>Run with {@code ./mvnw -q -pl fhir-server -Pbench test-compile exec:java@region-token
 * -Dexec.args="system/Organization.cu system/Patient.cu system/Group.cu"}; {@code
 * scripts/bench-population.sh} does it when {@code SECURED=1}.
 */
public final class RegionTokenCommand {

    private RegionTokenCommand() {}

    public static void main(String[] args) {
        if (args.length == 0) {
            System.err.println("usage: RegionTokenCommand SCOPE...");
            System.exit(2);
        }
        System.out.println(TestTokens.regionWide(String.join(" ", args)));
    }
}
