package se.patientkontrakt.fhir.bench;

import java.time.LocalDate;
import java.time.format.DateTimeParseException;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

/** Command-line options of the form {@code --name value} or {@code --name=value}. */
final class Options {

    /** A command line that cannot be run; the message says why. */
    static final class UsageException extends Exception {
        UsageException(String message) {
            super(message);
        }
    }

    private final Map<String, String> values = new HashMap<>();

    private Options() {}

    static Options parse(String[] args, List<String> known) throws UsageException {
        Options options = new Options();
        for (int i = 0; i < args.length; i++) {
            String arg = args[i];
            if (!arg.startsWith("--") || arg.length() == 2) {
                throw new UsageException("unexpected argument '" + arg + "'");
            }
            String name = arg.substring(2);
            String value;
            int equals = name.indexOf('=');
            if (equals >= 0) {
                value = name.substring(equals + 1);
                name = name.substring(0, equals);
            } else if (i + 1 < args.length) {
                value = args[++i];
            } else {
                throw new UsageException("--" + name + " needs a value");
            }
            if (!known.contains(name)) {
                throw new UsageException("unknown option --" + name);
            }
            options.values.put(name, value);
        }
        return options;
    }

    boolean has(String name) {
        return values.containsKey(name);
    }

    String string(String name, String fallback) {
        return values.getOrDefault(name, fallback);
    }

    int positive(String name, int fallback) throws UsageException {
        long value = number(name, fallback);
        if (value < 1 || value > Integer.MAX_VALUE) {
            throw new UsageException("--" + name + " must be a positive whole number");
        }
        return (int) value;
    }

    long number(String name, long fallback) throws UsageException {
        String value = values.get(name);
        if (value == null) {
            return fallback;
        }
        try {
            return Long.parseLong(value);
        } catch (NumberFormatException e) {
            throw new UsageException("--" + name + " must be a whole number, not '" + value + "'");
        }
    }

    LocalDate date(String name, LocalDate fallback) throws UsageException {
        String value = values.get(name);
        if (value == null) {
            return fallback;
        }
        try {
            return LocalDate.parse(value);
        } catch (DateTimeParseException e) {
            throw new UsageException("--" + name + " must be a date YYYY-MM-DD, not '" + value + "'");
        }
    }
}
