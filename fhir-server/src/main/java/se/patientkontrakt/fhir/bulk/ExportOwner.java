package se.patientkontrakt.fhir.bulk;

import ca.uhn.fhir.rest.api.server.RequestDetails;
import ca.uhn.fhir.rest.api.server.bulk.BulkExportJobParameters;
import java.util.Objects;
import org.hl7.fhir.r4.model.Binary;
import se.patientkontrakt.fhir.security.AccessToken;

/**
 * The client an export belongs to: the token's issuer and client ({@code azp}, else its subject).
 * HAPI writes it on every file of the export ({@code Binary.securityContext.identifier}) and keeps
 * it in the job's parameters; only the same client polls, cancels or downloads. Without access
 * control (an open test server) there is no token, and every export belongs to no one alike.
 */
record ExportOwner(String issuer, String client) {

    private static final ExportOwner NO_ONE = new ExportOwner(null, null);

    static ExportOwner of(RequestDetails request) {
        return AccessToken.of(request)
                .map(token -> new ExportOwner(token.issuer(), token.clientId().orElse(token.subject())))
                .orElse(NO_ONE);
    }

    static ExportOwner of(BulkExportJobParameters parameters) {
        return new ExportOwner(
                parameters.getBinarySecurityContextIdentifierSystem(),
                parameters.getBinarySecurityContextIdentifierValue());
    }

    static ExportOwner of(Binary file) {
        if (!file.hasSecurityContext() || !file.getSecurityContext().hasIdentifier()) {
            return NO_ONE;
        }
        return new ExportOwner(
                file.getSecurityContext().getIdentifier().getSystem(),
                file.getSecurityContext().getIdentifier().getValue());
    }

    void stamp(BulkExportJobParameters parameters) {
        parameters.setBinarySecurityContextIdentifierSystem(issuer);
        parameters.setBinarySecurityContextIdentifierValue(client);
    }

    boolean owns(ExportOwner other) {
        return Objects.equals(issuer, other.issuer) && Objects.equals(client, other.client);
    }
}
