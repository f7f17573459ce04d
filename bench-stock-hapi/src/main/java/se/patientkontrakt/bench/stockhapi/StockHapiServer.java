package se.patientkontrakt.bench.stockhapi;

import org.springframework.boot.SpringApplication;
import org.springframework.boot.autoconfigure.SpringBootApplication;

/**
 * A stock HAPI FHIR JPA server, R4, at {@code /fhir}: HAPI's published JPA artifacts wired the way
 * HAPI's JPA starter wires them, with HAPI's default storage settings, no validation and no
 * interceptor. The baseline this service is measured against side by side
 * ({@code scripts/bench-stock.sh}); it is built only by the {@code bench-stock} profile.
 */
@SpringBootApplication
public class StockHapiServer {

    public static void main(String[] args) {
        SpringApplication.run(StockHapiServer.class, args);
    }
}
