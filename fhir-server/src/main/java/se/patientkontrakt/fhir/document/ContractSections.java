package se.patientkontrakt.fhir.document;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.stream.Collectors;
import java.util.stream.Stream;
import org.hl7.fhir.r4.model.BaseDateTimeType;
import org.hl7.fhir.r4.model.CarePlan;
import org.hl7.fhir.r4.model.CarePlan.CarePlanActivityDetailComponent;
import org.hl7.fhir.r4.model.CareTeam;
import org.hl7.fhir.r4.model.CodeableConcept;
import org.hl7.fhir.r4.model.Coding;
import org.hl7.fhir.r4.model.ContactPoint;
import org.hl7.fhir.r4.model.Extension;
import org.hl7.fhir.r4.model.Goal;
import org.hl7.fhir.r4.model.Reference;
import org.hl7.fhir.r4.model.Resource;
import org.hl7.fhir.r4.model.Type;
import se.patientkontrakt.fhir.contract.Agreement;
import se.patientkontrakt.fhir.contract.Vocabulary;

/**
 * The patient contract in the sections of the regions' template (Kalmar's *Patientkontrakt*), in
 * Swedish, as the patient reads it: what matters to me, our shared goal, what I do, what care does,
 * if it gets worse, my fixed contacts and how to reach them, next step, follow-up, my other plans,
 * the agreement. Each section is XHTML (a FHIR narrative's content) and names the resources it is
 * made of. Only what the reader was shown ({@code resources}, from {@link ContractGraph}) is
 * written: a goal or plan the reader may not see leaves no trace, not even its name.
 *
 * <p>One rendering for every way the contract leaves the server: the sections of the FHIR document
 * ({@code $document}), the readable content of the national view ({@code $getcareplans}) and the
 * PDF.
 */
public final class ContractSections {

    /** The code system of the sections ({@code pk-contract-section}). */
    public static final String SYSTEM = Vocabulary.codeSystem("pk-contract-section");

    private static final String GOAL_CATEGORY = Vocabulary.codeSystem("pk-goal-category");
    private static final String AMBITION_LEVEL = Vocabulary.structureDefinition("pk-ambition-level");
    private static final String CONTACT_CHANNEL = Vocabulary.structureDefinition("pk-contact-channel");
    private static final String CONTACT_HOURS = Vocabulary.structureDefinition("pk-contact-hours");
    private static final Map<String, String> DAYS =
            Map.of("mon", "mån", "tue", "tis", "wed", "ons", "thu", "tors", "fri", "fre", "sat", "lör", "sun", "sön");

    /**
     * One section.
     *
     * @param code its code in {@link #SYSTEM}
     * @param title its heading, in Swedish
     * @param body its XHTML content, without the enclosing {@code div}
     * @param entries what it is made of, each among the resources the reader was shown
     */
    public record Section(String code, String title, String body, List<Reference> entries) {}

    private ContractSections() {}

    /** The contract's sections, in the template's order; a section with nothing in it says so. */
    public static List<Section> of(CarePlan contract, Map<String, Resource> resources) {
        List<Goal> goals = contract.getGoal().stream()
                .flatMap(ref -> ContractGraph.resolve(ref, resources).stream())
                .filter(Goal.class::isInstance)
                .map(Goal.class::cast)
                .toList();
        Reference self = new Reference(ContractGraph.key(contract.getIdElement()));
        List<Section> sections = new ArrayList<>();
        sections.add(goals(
                "vad-ar-viktigt", "Vad är viktigt för mig", goals, "vad-ar-viktigt", "Inget är skrivet här ännu."));
        sections.add(goals("gemensamt-mal", "Vårt gemensamma mål", goals, "gemensamt-mal", "Inget mål är satt ännu."));
        sections.add(activities("patienten-ansvarar", "Det här gör jag", contract, "patient-responsibility", self));
        sections.add(activities("varden-ansvarar", "Det här gör vården", contract, "care-responsibility", self));
        sections.add(activities("vid-forsamring", "Om det blir sämre", contract, "escalation", self));
        sections.add(contacts(contract, resources));
        sections.add(activities("nasta-steg", "Nästa steg", contract, "next-step", self));
        sections.add(activities("uppfoljning", "Uppföljning", contract, "follow-up", self));
        sections.add(otherPlans(contract, resources));
        sections.add(agreement(contract, self));
        return sections;
    }

    /** The whole contract as one XHTML {@code div}: its title, description and every section. */
    public static String html(CarePlan contract, List<Section> sections) {
        StringBuilder html =
                new StringBuilder("<div xmlns=\"http://www.w3.org/1999/xhtml\" lang=\"sv\" xml:lang=\"sv\"><h1>");
        html.append(escape(contract.hasTitle() ? contract.getTitle() : "Patientkontrakt"))
                .append("</h1>");
        if (contract.hasDescription()) {
            html.append("<p>").append(escape(contract.getDescription())).append("</p>");
        }
        for (Section section : sections) {
            html.append("<h2>").append(escape(section.title())).append("</h2>").append(section.body());
        }
        return html.append("</div>").toString();
    }

    /** {@code body} as a FHIR narrative {@code div}. */
    public static String div(String body) {
        return "<div xmlns=\"http://www.w3.org/1999/xhtml\" lang=\"sv\" xml:lang=\"sv\">" + body + "</div>";
    }

    private static Section goals(String code, String title, List<Goal> goals, String category, String none) {
        List<Goal> these = goals.stream()
                .filter(goal -> hasCode(goal.getCategory(), GOAL_CATEGORY, category))
                .toList();
        StringBuilder body = new StringBuilder();
        for (Goal goal : these) {
            body.append("<p>").append(escape(goal.getDescription().getText()));
            Extension ambition = goal.getExtensionByUrl(AMBITION_LEVEL);
            if (ambition != null && ambition.getValue() instanceof Coding level && level.hasDisplay()) {
                body.append(" <i>(ambitionsnivå: ")
                        .append(escape(level.getDisplay().toLowerCase(java.util.Locale.ROOT)))
                        .append(")</i>");
            }
            goal.getTarget().stream()
                    .filter(target -> target.hasDueDateType())
                    .findFirst()
                    .ifPresent(target -> body.append(" <i>(senast ")
                            .append(day(target.getDueDateType()))
                            .append(")</i>"));
            body.append("</p>");
        }
        return new Section(
                code,
                title,
                these.isEmpty() ? "<p>" + none + "</p>" : body.toString(),
                these.stream()
                        .map(goal -> new Reference(ContractGraph.key(goal.getIdElement())))
                        .toList());
    }

    private static Section activities(String code, String title, CarePlan contract, String kind, Reference self) {
        List<CarePlanActivityDetailComponent> these = contract.getActivity().stream()
                .filter(CarePlan.CarePlanActivityComponent::hasDetail)
                .map(CarePlan.CarePlanActivityComponent::getDetail)
                .filter(detail -> hasCode(detail.getCode(), Vocabulary.ACTIVITY_KIND, kind))
                .toList();
        if (these.isEmpty()) {
            return new Section(code, title, "<p>Inget är överenskommet här ännu.</p>", List.of(self));
        }
        StringBuilder body = new StringBuilder("<ul>");
        for (CarePlanActivityDetailComponent detail : these) {
            body.append("<li>").append(escape(detail.getDescription()));
            dueDay(detail)
                    .ifPresent(due -> body.append(" <i>(senast ").append(due).append(")</i>"));
            String who = detail.getPerformer().stream()
                    .filter(Reference::hasDisplay)
                    .map(Reference::getDisplay)
                    .collect(Collectors.joining(", "));
            if (!who.isEmpty()) {
                body.append(" – ").append(escape(who));
            }
            if (detail.getStatus() == CarePlan.CarePlanActivityStatus.COMPLETED) {
                body.append(" <b>Klart.</b>");
            } else if (detail.getStatus() == CarePlan.CarePlanActivityStatus.CANCELLED) {
                body.append(" <b>Inställt.</b>");
            }
            body.append("</li>");
        }
        return new Section(code, title, body.append("</ul>").toString(), List.of(self));
    }

    private static Optional<String> dueDay(CarePlanActivityDetailComponent detail) {
        Type scheduled = detail.getScheduled();
        if (scheduled instanceof org.hl7.fhir.r4.model.Period period && period.hasEnd()) {
            return Optional.of(day(period.getEndElement()));
        }
        if (scheduled instanceof org.hl7.fhir.r4.model.StringType text) {
            return Optional.of(escape(text.getValue()));
        }
        return Optional.empty();
    }

    private static Section contacts(CarePlan contract, Map<String, Resource> resources) {
        List<CareTeam> teams = contract.getCareTeam().stream()
                .flatMap(ref -> ContractGraph.resolve(ref, resources).stream())
                .filter(CareTeam.class::isInstance)
                .map(CareTeam.class::cast)
                .toList();
        if (teams.isEmpty()) {
            return new Section(
                    "fasta-kontakter",
                    "Mina fasta kontakter och hur jag når dem",
                    "<p>Inga fasta kontakter är angivna.</p>",
                    List.of());
        }
        StringBuilder body = new StringBuilder();
        for (CareTeam team : teams) {
            body.append("<ul>");
            for (CareTeam.CareTeamParticipantComponent participant : team.getParticipant()) {
                String role = participant.getRole().stream()
                        .flatMap(concept -> concept.getCoding().stream())
                        .filter(Coding::hasDisplay)
                        .map(Coding::getDisplay)
                        .findFirst()
                        .orElse("Kontakt");
                body.append("<li><b>")
                        .append(escape(role))
                        .append(":</b> ")
                        .append(escape(participant.getMember().getDisplay()))
                        .append("</li>");
            }
            body.append("</ul>");
            if (team.hasTelecom()) {
                body.append("<p>Så når du oss:</p><ul>");
                team.getTelecom()
                        .forEach(telecom ->
                                body.append("<li>").append(contactWay(telecom)).append("</li>"));
                body.append("</ul>");
            }
        }
        return new Section(
                "fasta-kontakter",
                "Mina fasta kontakter och hur jag når dem",
                body.toString(),
                teams.stream()
                        .map(team -> new Reference(ContractGraph.key(team.getIdElement())))
                        .toList());
    }

    private static String contactWay(ContactPoint telecom) {
        StringBuilder way = new StringBuilder();
        Extension channel = telecom.getExtensionByUrl(CONTACT_CHANNEL);
        if (channel != null && channel.getValue() instanceof Coding coding && coding.hasDisplay()) {
            way.append("<b>").append(escape(coding.getDisplay())).append(":</b> ");
        }
        way.append(escape(telecom.getValue()));
        Extension hours = telecom.getExtensionByUrl(CONTACT_HOURS);
        if (hours != null) {
            String days = hours.getExtensionsByUrl("daysOfWeek").stream()
                    .map(day -> DAYS.getOrDefault(
                            day.getValue().primitiveValue(), day.getValue().primitiveValue()))
                    .collect(Collectors.joining(", "));
            Optional<String> from = value(hours, "availableStartTime").map(ContractSections::hhmm);
            Optional<String> to = value(hours, "availableEndTime").map(ContractSections::hhmm);
            if (!days.isEmpty()) {
                way.append(", ").append(escape(days));
            }
            if (from.isPresent() && to.isPresent()) {
                way.append(" ").append(from.get()).append("–").append(to.get());
            }
            value(hours, "description")
                    .ifPresent(text -> way.append(" (").append(escape(text)).append(")"));
        }
        return way.toString();
    }

    private static Section otherPlans(CarePlan contract, Map<String, Resource> resources) {
        List<CarePlan> plans = Stream.concat(contract.getSupportingInfo().stream(), contract.getBasedOn().stream())
                .flatMap(ref -> ContractGraph.resolve(ref, resources).stream())
                .filter(CarePlan.class::isInstance)
                .map(CarePlan.class::cast)
                .distinct()
                .toList();
        if (plans.isEmpty()) {
            return new Section("andra-planer", "Mina andra planer", "<p>Inga andra planer är kopplade.</p>", List.of());
        }
        StringBuilder body = new StringBuilder("<ul>");
        for (CarePlan plan : plans) {
            body.append("<li>").append(escape(plan.getTitle()));
            plan.getCategory().stream()
                    .flatMap(category -> category.getCoding().stream())
                    .filter(coding -> Vocabulary.TYPE_OF_CARE_PLAN.equals(coding.getSystem()) && coding.hasDisplay())
                    .findFirst()
                    .ifPresent(type ->
                            body.append(" (").append(escape(type.getDisplay())).append(")"));
            body.append("</li>");
        }
        return new Section(
                "andra-planer",
                "Mina andra planer",
                body.append("</ul>").toString(),
                plans.stream()
                        .map(plan -> new Reference(ContractGraph.key(plan.getIdElement())))
                        .toList());
    }

    private static Section agreement(CarePlan contract, Reference self) {
        StringBuilder body = new StringBuilder("<p>");
        Extension agreement = contract.getExtensionByUrl(Vocabulary.PATIENT_AGREEMENT);
        if (agreement == null) {
            body.append("Kontraktet är ännu inte överenskommet med patienten.");
        } else {
            body.append("Överenskommet");
            nested(agreement, "date").filter(BaseDateTimeType.class::isInstance).ifPresent(date -> body.append(" ")
                    .append(day((BaseDateTimeType) date)));
            nested(agreement, "method")
                    .filter(Coding.class::isInstance)
                    .map(method -> ((Coding) method).getDisplay())
                    .ifPresent(method -> body.append(" (")
                            .append(escape(method.toLowerCase(java.util.Locale.ROOT)))
                            .append(")"));
            nested(agreement, "agreedBy")
                    .filter(Reference.class::isInstance)
                    .map(by -> ((Reference) by).getDisplay())
                    .ifPresent(by -> body.append(" av ").append(escape(by)));
            Agreement.agreedVersion(contract)
                    .ifPresent(version -> body.append(", version ").append(escape(version)));
            body.append(".");
            if (Agreement.isPending(contract)) {
                body.append(" Vården har sedan dess ändrat vad någon lovar i kontraktet; det väntar på"
                        + " patientens godkännande igen.");
            }
        }
        body.append("</p>");
        if (contract.getMeta().hasVersionId()) {
            body.append("<p>Kontraktets version ")
                    .append(escape(contract.getMeta().getVersionId()));
            if (contract.getMeta().hasLastUpdated()) {
                body.append(", ändrad ")
                        .append(new java.text.SimpleDateFormat("yyyy-MM-dd")
                                .format(contract.getMeta().getLastUpdated()));
            }
            body.append(".</p>");
        }
        return new Section("overenskommelse", "Överenskommelsen", body.toString(), List.of(self));
    }

    private static Optional<Type> nested(Extension extension, String url) {
        return Optional.ofNullable(extension.getExtensionByUrl(url)).map(Extension::getValue);
    }

    private static Optional<String> value(Extension extension, String url) {
        return nested(extension, url).map(Type::primitiveValue);
    }

    private static String hhmm(String time) {
        return time.length() >= 5 ? time.substring(0, 5) : time;
    }

    private static String day(BaseDateTimeType date) {
        String value = date.getValueAsString();
        return value == null ? "" : escape(value.length() > 10 ? value.substring(0, 10) : value);
    }

    private static boolean hasCode(List<CodeableConcept> concepts, String system, String code) {
        return concepts.stream().anyMatch(concept -> hasCode(concept, system, code));
    }

    private static boolean hasCode(CodeableConcept concept, String system, String code) {
        return concept.getCoding().stream()
                .anyMatch(coding -> system.equals(coding.getSystem()) && code.equals(coding.getCode()));
    }

    /** Text as XHTML character data. */
    static String escape(String text) {
        if (text == null) {
            return "";
        }
        StringBuilder escaped = new StringBuilder(text.length());
        for (char c : text.toCharArray()) {
            switch (c) {
                case '<' -> escaped.append("&lt;");
                case '>' -> escaped.append("&gt;");
                case '&' -> escaped.append("&amp;");
                case '"' -> escaped.append("&quot;");
                default -> escaped.append(c);
            }
        }
        return escaped.toString();
    }
}
