package se.patientkontrakt.fhir.hapi;

import static org.assertj.core.api.Assertions.assertThat;

import ca.uhn.fhir.interceptor.model.RequestPartitionId;
import ca.uhn.fhir.jpa.api.svc.IIdHelperService;
import ca.uhn.fhir.jpa.api.svc.ResolveIdentityMode;
import ca.uhn.fhir.jpa.dao.tx.IHapiTransactionService;
import ca.uhn.fhir.jpa.model.cross.IResourceLookup;
import ca.uhn.fhir.jpa.model.dao.JpaPid;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import org.hl7.fhir.instance.model.api.IIdType;
import org.hl7.fhir.r4.model.Basic;
import org.hl7.fhir.r4.model.CodeableConcept;
import org.hl7.fhir.r4.model.IdType;
import org.junit.jupiter.api.Test;
import org.springframework.beans.factory.annotation.Autowired;
import se.patientkontrakt.fhir.FhirIT;

/**
 * Resolving several ids at once, as a transaction Bundle does: the server's id resolution (one id
 * per query on H2, HAPI's single query elsewhere) answers as HAPI's does.
 */
class OneByOneIdResolutionIT extends FhirIT {

    @Autowired
    private IIdHelperService<JpaPid> ids;

    @Autowired
    private IHapiTransactionService transactions;

    @Test
    void theServerResolvesIdsWithItsOwnResolution() {
        assertThat(ids).isInstanceOf(OneByOneIdResolution.class);
    }

    @Test
    void severalIdsResolveToTheirResourcesAndAnUnknownOneToNothing() {
        String first = create(new Basic().setCode(new CodeableConcept().setText("first")));
        String second = create(new Basic().setCode(new CodeableConcept().setText("second")));
        String deleted = create(new Basic().setCode(new CodeableConcept().setText("deleted")));
        fhir().when().delete("/Basic/" + deleted).then().statusCode(200);
        String unknown = "unknown-" + UUID.randomUUID();

        List<IIdType> asked = List.of(
                new IdType("Basic", first),
                new IdType("Basic", second),
                new IdType("Basic", first),
                new IdType("Basic", deleted),
                new IdType("Basic", unknown));
        Map<IIdType, IResourceLookup<JpaPid>> found =
                resolve(asked, ResolveIdentityMode.excludeDeleted().noCacheUnlessDeletesDisabled());
        Map<IIdType, IResourceLookup<JpaPid>> withDeleted =
                resolve(asked, ResolveIdentityMode.includeDeleted().noCacheUnlessDeletesDisabled());

        assertThat(found.keySet())
                .extracting(IIdType::getValue)
                .containsExactlyInAnyOrder("Basic/" + first, "Basic/" + second);
        assertThat(found.values()).extracting(IResourceLookup::getFhirId).containsExactlyInAnyOrder(first, second);
        assertThat(found.get(new IdType("Basic", first)).getPersistentId())
                .isNotEqualTo(found.get(new IdType("Basic", second)).getPersistentId());
        assertThat(withDeleted.keySet())
                .extracting(IIdType::getValue)
                .containsExactlyInAnyOrder("Basic/" + first, "Basic/" + second, "Basic/" + deleted);
        assertThat(withDeleted.get(new IdType("Basic", deleted)).getDeleted()).isNotNull();
    }

    private Map<IIdType, IResourceLookup<JpaPid>> resolve(List<IIdType> asked, ResolveIdentityMode mode) {
        return transactions
                .withSystemRequest()
                .execute(() -> ids.resolveResourceIdentities(RequestPartitionId.allPartitions(), asked, mode));
    }
}
