package se.patientkontrakt.fhir.faults;

import ca.uhn.fhir.context.FhirContext;
import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.Optional;
import org.hl7.fhir.instance.model.api.IBaseResource;
import org.hl7.fhir.r4.model.Bundle;
import org.hl7.fhir.r4.model.Bundle.BundleEntryComponent;
import org.hl7.fhir.r4.model.Bundle.HTTPVerb;
import org.hl7.fhir.r4.model.Resource;

/**
 * A plain HTTP/1.1 FHIR JSON client for servers in other processes, with a timeout on every
 * request: a fault test must end even when the server it talks to does not answer.
 */
final class FhirHttp {

    static final FhirContext FHIR = FhirContext.forR4Cached();
    private static final String FHIR_JSON = "application/fhir+json";
    private static final Duration TIMEOUT = Duration.ofSeconds(60);

    private final HttpClient http = HttpClient.newBuilder()
            .version(HttpClient.Version.HTTP_1_1)
            .connectTimeout(Duration.ofSeconds(5))
            .build();
    private final String baseUrl;
    private final String token;

    FhirHttp(String baseUrl) {
        this(baseUrl, null);
    }

    /** A client that sends the bearer token with every request (a server with access control). */
    FhirHttp(String baseUrl, String token) {
        this.baseUrl = baseUrl;
        this.token = token;
    }

    HttpResponse<String> get(String path) throws IOException, InterruptedException {
        return send(request(path).GET());
    }

    HttpResponse<String> post(String path, IBaseResource body) throws IOException, InterruptedException {
        return send(request(path).header("Content-Type", FHIR_JSON).POST(json(body)));
    }

    HttpResponse<String> put(String path, IBaseResource body, String ifMatch) throws IOException, InterruptedException {
        HttpRequest.Builder request = request(path).header("Content-Type", FHIR_JSON);
        if (ifMatch != null) {
            request.header("If-Match", ifMatch);
        }
        return send(request.PUT(json(body)));
    }

    /** DELETE; the status. */
    int delete(String path) throws IOException, InterruptedException {
        return send(request(path).DELETE()).statusCode();
    }

    /** POSTs a transaction (or batch) Bundle to the base URL. */
    HttpResponse<String> transaction(Bundle bundle) throws IOException, InterruptedException {
        return post("", bundle);
    }

    /**
     * Reads every resource a transaction wrote, in one batch of GETs: for each entry the stored
     * resource, or empty when the server does not hold it.
     */
    java.util.List<Optional<Resource>> readBack(Bundle transaction) throws IOException, InterruptedException {
        Bundle batch = new Bundle().setType(Bundle.BundleType.BATCH);
        for (BundleEntryComponent entry : transaction.getEntry()) {
            batch.addEntry()
                    .getRequest()
                    .setMethod(HTTPVerb.GET)
                    .setUrl(entry.getRequest().getUrl());
        }
        HttpResponse<String> response = post("", batch);
        if (response.statusCode() != 200) {
            throw new IllegalStateException("Batch read answered " + response.statusCode() + ": " + response.body());
        }
        return parse(response, Bundle.class).getEntry().stream()
                .map(entry -> entry.getResponse().getStatus().startsWith("200")
                        ? Optional.of(entry.getResource())
                        : Optional.<Resource>empty())
                .toList();
    }

    static <T extends IBaseResource> T parse(HttpResponse<String> response, Class<T> type) {
        return FHIR.newJsonParser().parseResource(type, response.body());
    }

    private HttpRequest.Builder request(String path) {
        HttpRequest.Builder request = HttpRequest.newBuilder(URI.create(baseUrl + path))
                .timeout(TIMEOUT)
                .header("Accept", FHIR_JSON);
        return token == null ? request : request.header("Authorization", "Bearer " + token);
    }

    private static HttpRequest.BodyPublisher json(IBaseResource body) {
        return HttpRequest.BodyPublishers.ofString(FHIR.newJsonParser().encodeResourceToString(body));
    }

    private HttpResponse<String> send(HttpRequest.Builder request) throws IOException, InterruptedException {
        return http.send(request.build(), HttpResponse.BodyHandlers.ofString());
    }
}
