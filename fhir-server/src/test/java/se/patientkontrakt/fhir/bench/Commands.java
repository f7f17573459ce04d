package se.patientkontrakt.fhir.bench;

import ch.qos.logback.classic.Level;
import ch.qos.logback.classic.Logger;
import org.slf4j.LoggerFactory;

/** What the command-line tools here share. */
final class Commands {

    private Commands() {}

    /**
     * Warnings and errors only: without a configuration Logback logs everything HAPI says at
     * start-up between the progress lines. Done in code, as a logback-test.xml would also change
     * the logging of every test.
     */
    static void quietLogging() {
        if (LoggerFactory.getLogger(org.slf4j.Logger.ROOT_LOGGER_NAME) instanceof Logger root) {
            root.setLevel(Level.WARN);
        }
    }
}
