package se.patientkontrakt.fhir;

import java.time.Clock;
import java.time.Instant;
import java.time.LocalDate;
import java.time.LocalTime;
import java.time.ZoneId;
import org.springframework.boot.test.context.TestConfiguration;
import org.springframework.context.annotation.Bean;
import org.springframework.context.annotation.Primary;
import se.patientkontrakt.fhir.contract.Vocabulary;

/**
 * The server's clock in the integration tests: the system clock in Sweden's time zone until a test
 * moves it to another day (and back, when it is done: the context is shared by every test).
 */
public final class SettableClock extends Clock {

    private volatile Instant fixed;

    /** From now on, noon in Sweden on the given day. */
    public void setToday(LocalDate day) {
        fixed = day.atTime(LocalTime.NOON).atZone(Vocabulary.SWEDEN).toInstant();
    }

    /** Back to the system clock. */
    public void reset() {
        fixed = null;
    }

    @Override
    public ZoneId getZone() {
        return Vocabulary.SWEDEN;
    }

    @Override
    public Clock withZone(ZoneId zone) {
        return zone.equals(Vocabulary.SWEDEN) ? this : Clock.fixed(instant(), zone);
    }

    @Override
    public Instant instant() {
        Instant day = fixed;
        return day != null ? day : Instant.now();
    }

    @TestConfiguration(proxyBeanMethods = false)
    public static class Config {
        @Bean
        @Primary
        SettableClock settableClock() {
            return new SettableClock();
        }
    }
}
