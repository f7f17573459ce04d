package se.patientkontrakt.fhir.subscription;

import ca.uhn.fhir.i18n.Msg;
import ca.uhn.fhir.interceptor.api.Hook;
import ca.uhn.fhir.interceptor.api.Interceptor;
import ca.uhn.fhir.interceptor.api.Pointcut;
import ca.uhn.fhir.rest.api.Constants;
import ca.uhn.fhir.rest.api.RestOperationTypeEnum;
import ca.uhn.fhir.rest.api.server.IPreResourceShowDetails;
import ca.uhn.fhir.rest.api.server.RequestDetails;
import ca.uhn.fhir.rest.server.exceptions.ForbiddenOperationException;
import ca.uhn.fhir.rest.server.exceptions.ResourceNotFoundException;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.Arrays;
import java.util.HexFormat;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Optional;
import org.hl7.fhir.instance.model.api.IBaseResource;
import org.hl7.fhir.instance.model.api.IIdType;
import org.hl7.fhir.r4.model.Coding;
import org.hl7.fhir.r4.model.Subscription;
import org.springframework.stereotype.Component;
import se.patientkontrakt.fhir.contract.Vocabulary;
import se.patientkontrakt.fhir.security.AccessControlEnabled;
import se.patientkontrakt.fhir.security.AccessToken;
import se.patientkontrakt.fhir.security.PdlCriteria;
import se.patientkontrakt.fhir.security.PdlProperties;
import se.patientkontrakt.fhir.server.HookOrder;
import se.patientkontrakt.fhir.server.RestInterceptor;

/**
 * A Subscription is its creator's: it names where notifications about contracts go and often
 * carries a secret for the receiver ({@code channel.header}), so only the token that made it (the
 * same issuer and subject) reads, searches, changes or deletes it; to anyone else it answers as
 * one that does not exist. Creating one needs, besides the right to create Subscriptions, the
 * right to read what its criteria watch: a notification is a read. The server tags each
 * Subscription with its owner ({@link Vocabulary#SUBSCRIPTION_OWNER}); a tag of that system sent by
 * a client is replaced. Notifications are sent only for owned Subscriptions and logged
 * ({@code audit/DeliveryLogInterceptor}). A patient token creates no Subscription (it creates
 * nothing); a portal subscribes with its own system token.
 */
@Component
@AccessControlEnabled
@Interceptor
class SubscriptionAccessInterceptor implements RestInterceptor {

    private static final String SUBSCRIPTION = "Subscription";

    private final PdlProperties pdl;

    SubscriptionAccessInterceptor(PdlProperties pdl) {
        this.pdl = pdl;
    }

    @Hook(value = Pointcut.SERVER_INCOMING_REQUEST_POST_PROCESSED, order = HookOrder.ACCESS + 20)
    void searchOwnSubscriptionsOnly(RequestDetails request) {
        if (request.getRestOperationType() != RestOperationTypeEnum.SEARCH_TYPE
                || !SUBSCRIPTION.equals(request.getResourceName())) {
            return;
        }
        AccessToken.of(request).ifPresent(token -> {
            Map<String, String[]> parameters = new LinkedHashMap<>(request.getParameters());
            String[] tags = parameters.getOrDefault(Constants.PARAM_TAG, new String[0]);
            String[] and = Arrays.copyOf(tags, tags.length + 1);
            and[tags.length] = Vocabulary.SUBSCRIPTION_OWNER + "|" + ownerTag(token);
            parameters.put(Constants.PARAM_TAG, and);
            request.setParameters(parameters);
        });
    }

    @Hook(value = Pointcut.STORAGE_PRESHOW_RESOURCES, order = HookOrder.ACCESS + 20)
    void showOwnSubscriptionsOnly(IPreResourceShowDetails details, RequestDetails request) {
        Optional<AccessToken> token = AccessToken.of(request);
        if (token.isEmpty()) {
            return;
        }
        for (int i = 0; i < details.size(); i++) {
            if (details.getResource(i) instanceof Subscription subscription && !ownedBy(subscription, token.get())) {
                if (request.getRestOperationType() == RestOperationTypeEnum.READ
                        || request.getRestOperationType() == RestOperationTypeEnum.VREAD
                        || request.getRestOperationType() == RestOperationTypeEnum.HISTORY_INSTANCE) {
                    throw notFound(subscription.getIdElement());
                }
                details.setResource(i, null);
            }
        }
    }

    @Hook(value = Pointcut.STORAGE_PRESTORAGE_RESOURCE_CREATED, order = HookOrder.ACCESS + 40)
    void stampTheOwner(IBaseResource resource, RequestDetails request) {
        Optional<AccessToken> token = AccessToken.of(request);
        if (resource instanceof Subscription subscription && token.isPresent()) {
            requireReadOfWhatItWatches(subscription, token.get());
            stamp(subscription, token.get());
        }
    }

    @Hook(value = Pointcut.STORAGE_PRESTORAGE_RESOURCE_UPDATED, order = HookOrder.ACCESS + 40)
    void onlyTheOwnerChangesIt(IBaseResource previous, IBaseResource updated, RequestDetails request) {
        Optional<AccessToken> token = AccessToken.of(request);
        if (previous instanceof Subscription before && updated instanceof Subscription after && token.isPresent()) {
            if (!ownedBy(before, token.get())) {
                throw notFound(before.getIdElement());
            }
            requireReadOfWhatItWatches(after, token.get());
            stamp(after, token.get());
        }
    }

    @Hook(value = Pointcut.STORAGE_PRESTORAGE_RESOURCE_DELETED, order = HookOrder.ACCESS + 40)
    void onlyTheOwnerDeletesIt(IBaseResource resource, RequestDetails request) {
        Optional<AccessToken> token = AccessToken.of(request);
        if (resource instanceof Subscription subscription && token.isPresent() && !ownedBy(subscription, token.get())) {
            throw notFound(subscription.getIdElement());
        }
    }

    private void requireReadOfWhatItWatches(Subscription subscription, AccessToken token) {
        String criteria = subscription.getCriteria() == null ? "" : subscription.getCriteria();
        String type = criteria.split("[?/]", 2)[0];
        if (token.patientToken() || type.isBlank() || !token.mayRead(type)) {
            throw new ForbiddenOperationException("A Subscription to " + (type.isBlank() ? "nothing" : type)
                    + " needs a token that may read " + (type.isBlank() ? "what it watches" : type)
                    + ": every notification is a read");
        }
        PdlCriteria.problem(token, pdl, criteria).ifPresent(problem -> {
            throw new ForbiddenOperationException(problem);
        });
    }

    private static void stamp(Subscription subscription, AccessToken token) {
        subscription.getMeta().getTag().removeIf(tag -> Vocabulary.SUBSCRIPTION_OWNER.equals(tag.getSystem()));
        subscription.getMeta().addTag(new Coding(Vocabulary.SUBSCRIPTION_OWNER, ownerTag(token), null));
    }

    static boolean ownedBy(Subscription subscription, AccessToken token) {
        String owner = ownerTag(token);
        return subscription.getMeta().getTag().stream()
                .anyMatch(tag -> Vocabulary.SUBSCRIPTION_OWNER.equals(tag.getSystem()) && owner.equals(tag.getCode()));
    }

    /** {@code {issuer}|{subject}}, or its SHA-256 where that is longer than a tag's code may be. */
    static String ownerTag(AccessToken token) {
        String owner = token.owner();
        if (owner.length() <= 200) {
            return owner;
        }
        try {
            return "sha256:"
                    + HexFormat.of()
                            .formatHex(MessageDigest.getInstance("SHA-256")
                                    .digest(owner.getBytes(StandardCharsets.UTF_8)));
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException(e);
        }
    }

    private static ResourceNotFoundException notFound(IIdType id) {
        return new ResourceNotFoundException(
                Msg.code(2001) + "Resource " + SUBSCRIPTION + "/" + id.getIdPart() + " is not known");
    }
}
