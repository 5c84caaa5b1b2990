/**
 * The operations team (`GET /v1/ops/operators`), for the queue and each report: owners and
 * steps by name, and whom a report can be assigned to. Until it loads (or if it fails) owners
 * read by short id; the page works on.
 */
import { computed } from 'vue'
import { api, ok } from '@/api/client'
import { operatorNames } from '@/components/faults/faults'
import { useApi } from '@/composables/useApi'

export function useOperators() {
  const team = useApi(async (signal) => (await ok(api.GET('/v1/ops/operators', { signal }))).items)
  const names = computed(() => operatorNames(team.data ?? []))
  return { team, names }
}
