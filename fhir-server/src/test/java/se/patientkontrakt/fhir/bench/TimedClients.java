package se.patientkontrakt.fhir.bench;

import java.io.IOException;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.AtomicReference;
import java.util.function.IntFunction;

/**
 * Several clients sending requests at once, each request timed from send to the whole answer: the
 * timing loop the benchmark commands share. An answer other than 2xx, or a request that could not
 * be made or sent, is an error, counted and not timed; the first one is kept to be shown.
 */
final class TimedClients {

    private TimedClients() {}

    /** What one client sends next; {@code null} when it is done. */
    interface Client {
        HttpRequest next() throws IOException, InterruptedException;
    }

    /**
     * @param sortedNanos the answered requests' times, sorted
     * @param errors the requests that failed
     * @param seconds from the first client's start to the last one's end
     */
    record Outcome(long[] sortedNanos, long errors, double seconds, String firstError) {}

    /** Runs {@code clients} clients, the {@code c}-th sending what {@code clientOf.apply(c)} gives, until each is done. */
    static Outcome run(HttpClient http, int clients, IntFunction<Client> clientOf) throws InterruptedException {
        AtomicLong errors = new AtomicLong();
        AtomicReference<String> firstError = new AtomicReference<>();
        ExecutorService pool = Executors.newFixedThreadPool(clients);
        long started = System.nanoTime();
        List<Future<long[]>> sent = new ArrayList<>();
        for (int c = 0; c < clients; c++) {
            Client client = clientOf.apply(c);
            sent.add(pool.submit(() -> {
                long[] samples = new long[1024];
                int n = 0;
                while (true) {
                    HttpRequest request;
                    try {
                        request = client.next();
                    } catch (IOException e) {
                        errors.incrementAndGet();
                        firstError.compareAndSet(null, e.toString());
                        continue;
                    }
                    if (request == null) {
                        return Arrays.copyOf(samples, n);
                    }
                    try {
                        long sentAt = System.nanoTime();
                        HttpResponse<byte[]> response = http.send(request, HttpResponse.BodyHandlers.ofByteArray());
                        long took = System.nanoTime() - sentAt;
                        if (response.statusCode() / 100 == 2) {
                            if (n == samples.length) {
                                samples = Arrays.copyOf(samples, n * 2);
                            }
                            samples[n++] = took;
                        } else {
                            errors.incrementAndGet();
                            String body = new String(response.body(), StandardCharsets.UTF_8);
                            firstError.compareAndSet(
                                    null,
                                    "HTTP " + response.statusCode() + " for " + describe(request) + ": "
                                            + body.substring(0, Math.min(body.length(), 400)));
                        }
                    } catch (IOException e) {
                        errors.incrementAndGet();
                        firstError.compareAndSet(null, e + " for " + describe(request));
                    }
                }
            }));
        }
        List<long[]> all = new ArrayList<>();
        try {
            for (Future<long[]> client : sent) {
                all.add(client.get());
            }
        } catch (ExecutionException e) {
            throw new IllegalStateException(e.getCause());
        } finally {
            pool.shutdownNow();
        }
        double seconds = (System.nanoTime() - started) / 1e9;
        long[] merged = all.stream().flatMapToLong(Arrays::stream).sorted().toArray();
        return new Outcome(merged, errors.get(), seconds, firstError.get());
    }

    private static String describe(HttpRequest request) {
        String query = request.uri().getRawQuery();
        return request.method() + " " + request.uri().getRawPath() + (query == null ? "" : "?" + query);
    }
}
