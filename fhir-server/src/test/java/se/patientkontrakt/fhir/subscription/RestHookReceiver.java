package se.patientkontrakt.fhir.subscription;

import com.sun.net.httpserver.HttpExchange;
import com.sun.net.httpserver.HttpServer;
import java.io.IOException;
import java.io.InputStream;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.IntUnaryOperator;

/**
 * A rest-hook receiver on a free loopback port, as a portal would run one: it records every
 * request and answers with the status its set-up asks for (200 unless told otherwise).
 */
public final class RestHookReceiver implements AutoCloseable {

    public record Request(String method, String path, String contentType, String body, int answeredWith) {}

    private final HttpServer server;
    private final List<Request> requests = new CopyOnWriteArrayList<>();
    private final AtomicInteger received = new AtomicInteger();
    private final IntUnaryOperator statusForRequestNumber;

    private RestHookReceiver(IntUnaryOperator statusForRequestNumber) throws IOException {
        this.statusForRequestNumber = statusForRequestNumber;
        server = HttpServer.create(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0), 0);
        server.createContext("/", this::handle);
        server.start();
    }

    public static RestHookReceiver start() throws IOException {
        return new RestHookReceiver(n -> 200);
    }

    /** Answers the first {@code failures} requests with 500, later ones with 200. */
    static RestHookReceiver failingFirst(int failures) throws IOException {
        return new RestHookReceiver(n -> n <= failures ? 500 : 200);
    }

    static RestHookReceiver alwaysAnswering(int status) throws IOException {
        return new RestHookReceiver(n -> status);
    }

    /** An endpoint URL on this receiver; the path tells subscriptions apart. */
    public String endpoint(String name) {
        return "http://127.0.0.1:" + server.getAddress().getPort() + "/" + name;
    }

    public List<Request> requests() {
        return List.copyOf(requests);
    }

    private void handle(HttpExchange exchange) throws IOException {
        String body;
        try (InputStream in = exchange.getRequestBody()) {
            body = new String(in.readAllBytes(), StandardCharsets.UTF_8);
        }
        int status = statusForRequestNumber.applyAsInt(received.incrementAndGet());
        requests.add(new Request(
                exchange.getRequestMethod(),
                exchange.getRequestURI().getPath(),
                exchange.getRequestHeaders().getFirst("Content-Type"),
                body,
                status));
        exchange.sendResponseHeaders(status, -1);
        exchange.close();
    }

    @Override
    public void close() {
        server.stop(0);
    }
}
