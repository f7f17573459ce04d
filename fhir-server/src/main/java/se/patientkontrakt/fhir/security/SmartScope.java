package se.patientkontrakt.fhir.security;

import java.util.Collection;
import java.util.EnumSet;
import java.util.List;
import java.util.Locale;
import java.util.Objects;
import java.util.Optional;
import java.util.Set;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * One SMART on FHIR resource scope, such as {@code patient/CarePlan.read} (SMART App Launch v1) or
 * {@code user/CarePlan.rs} (v2), reduced to who it is for, which resource type it covers and which
 * interactions it grants. See <a href="https://hl7.org/fhir/smart-app-launch/scopes-and-launch-context.html">
 * SMART scopes and launch context</a>.
 *
 * <p>v1 {@code read} grants read and search, {@code write} create, update and delete, {@code *} all
 * five; v2 letters {@code c r u d s} grant exactly the interactions they name, and must come in that
 * order. A v2 scope's search restriction ({@code ?category=...}) is not understood here: such a
 * scope is ignored rather than widened to the whole type.
 *
 * @param context {@code patient}, {@code user} or {@code system}
 * @param resourceType a FHIR resource type, or {@code *} for every type
 * @param interactions what the scope allows on that type
 */
record SmartScope(Context context, String resourceType, Set<Interaction> interactions) {

    enum Context {
        PATIENT,
        USER,
        SYSTEM
    }

    /** The interactions of SMART v2, in the order the letters must appear. */
    enum Interaction {
        CREATE('c'),
        READ('r'),
        UPDATE('u'),
        DELETE('d'),
        SEARCH('s');

        private final char letter;

        Interaction(char letter) {
            this.letter = letter;
        }

        char letter() {
            return letter;
        }
    }

    static final String ANY_TYPE = "*";

    private static final Pattern SCOPE = Pattern.compile("(patient|user|system)/(\\*|[A-Z][A-Za-z]+)\\.([a-z*]+)");
    private static final Pattern V2_LETTERS = Pattern.compile("c?r?u?d?s?");

    SmartScope {
        Objects.requireNonNull(context);
        Objects.requireNonNull(resourceType);
        interactions = interactions.isEmpty() ? Set.of() : Set.copyOf(EnumSet.copyOf(interactions));
    }

    /** The scope a token's scope string names, or empty for anything else (openid, launch, ...). */
    static Optional<SmartScope> parse(String scope) {
        Matcher matcher = SCOPE.matcher(scope);
        if (!matcher.matches()) {
            return Optional.empty();
        }
        Context context = Context.valueOf(matcher.group(1).toUpperCase(Locale.ROOT));
        String permissions = matcher.group(3);
        Set<Interaction> interactions =
                switch (permissions) {
                    case "read" -> EnumSet.of(Interaction.READ, Interaction.SEARCH);
                    case "write" -> EnumSet.of(Interaction.CREATE, Interaction.UPDATE, Interaction.DELETE);
                    case "*" -> EnumSet.allOf(Interaction.class);
                    default -> v2(permissions);
                };
        if (interactions.isEmpty()) {
            return Optional.empty();
        }
        return Optional.of(new SmartScope(context, matcher.group(2), interactions));
    }

    /** The SMART scopes among a token's scopes; others are left out. */
    static List<SmartScope> parseAll(Collection<String> scopes) {
        return scopes.stream().map(SmartScope::parse).flatMap(Optional::stream).toList();
    }

    private static Set<Interaction> v2(String letters) {
        if (!V2_LETTERS.matcher(letters).matches()) {
            return Set.of();
        }
        EnumSet<Interaction> granted = EnumSet.noneOf(Interaction.class);
        for (Interaction interaction : Interaction.values()) {
            if (letters.indexOf(interaction.letter) >= 0) {
                granted.add(interaction);
            }
        }
        return granted;
    }

    boolean covers(String type) {
        return ANY_TYPE.equals(resourceType) || resourceType.equals(type);
    }

    boolean grants(Interaction interaction) {
        return interactions.contains(interaction);
    }
}
