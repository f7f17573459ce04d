package se.patientkontrakt.fhir.hapi;

import ca.uhn.fhir.interceptor.model.RequestPartitionId;
import ca.uhn.fhir.jpa.api.svc.ResolveIdentityMode;
import ca.uhn.fhir.jpa.dao.index.IdHelperService;
import ca.uhn.fhir.jpa.model.cross.IResourceLookup;
import ca.uhn.fhir.jpa.model.dao.JpaPid;
import jakarta.annotation.Nonnull;
import java.util.Collection;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.hl7.fhir.instance.model.api.IIdType;

/**
 * HAPI's resolution of resource ids to database keys, one id per query on H2.
 *
 * <p>HAPI resolves the ids of a transaction Bundle (every {@code PUT} target and every reference)
 * in one query on {@code HFJ_RESOURCE}: {@code (RES_TYPE = ? AND FHIR_ID = ?) OR (RES_TYPE = ?
 * AND FHIR_ID = ?) OR …}. PostgreSQL answers that from the unique index on type and id. H2 uses
 * no index for a disjunction of conjunctions and reads the whole table instead, once per
 * transaction, so loading contracts into H2 slowed with every contract stored: from 29.4
 * contracts/s for the first 10,000 to 6.8 for those from 60,000 to 70,000, with 83 % of the
 * server's samples in that scan (JFR). Each id on its own is one index lookup. On any other database HAPI's query is used
 * unchanged.
 */
class OneByOneIdResolution extends IdHelperService {

    private final boolean oneByOne;

    OneByOneIdResolution(boolean oneByOne) {
        this.oneByOne = oneByOne;
    }

    @Nonnull
    @Override
    public Map<IIdType, IResourceLookup<JpaPid>> resolveResourceIdentities(
            @Nonnull RequestPartitionId partition, Collection<IIdType> ids, ResolveIdentityMode mode) {
        if (!oneByOne || ids.size() < 2) {
            return super.resolveResourceIdentities(partition, ids, mode);
        }
        Map<String, IIdType> distinct = new LinkedHashMap<>();
        ids.forEach(id -> distinct.putIfAbsent(id.getValue(), id));
        Map<IIdType, IResourceLookup<JpaPid>> resolved = new HashMap<>();
        for (IIdType id : distinct.values()) {
            resolved.putAll(super.resolveResourceIdentities(partition, List.of(id), mode));
        }
        return resolved;
    }
}
