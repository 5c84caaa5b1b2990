/**
 * What staff pages read about a school to name things: its classes, its staff, the district's
 * schools (every page of each list).
 */
import { allPages, api, ok, type Schemas } from '@/api/client'

export type SchoolClass = Schemas['ClassView']
export type StaffMember = Schemas['UserView']
export type School = Schemas['SchoolView']

export function loadClasses(schoolId: string, signal?: AbortSignal): Promise<SchoolClass[]> {
  return allPages((pageToken) =>
    ok(
      api.GET('/v1/schools/{school_id}/classes', {
        params: { path: { school_id: schoolId }, query: { limit: 500, page_token: pageToken } },
        signal,
      }),
    ),
  ).then(sortClasses)
}

export function loadStaff(schoolId: string, signal?: AbortSignal): Promise<StaffMember[]> {
  return allPages((pageToken) =>
    ok(
      api.GET('/v1/schools/{school_id}/staff', {
        params: { path: { school_id: schoolId }, query: { limit: 500, page_token: pageToken } },
        signal,
      }),
    ),
  )
}

export function loadSchools(signal?: AbortSignal): Promise<School[]> {
  return allPages((pageToken) =>
    ok(api.GET('/v1/schools', { params: { query: { limit: 500, page_token: pageToken } }, signal })),
  )
}

const collator = new Intl.Collator('zh-Hans-CN', { numeric: true })

/** Classes by grade, then name (一年级(1)班, 一年级(2)班, 二年级(1)班 …). */
export function sortClasses(classes: SchoolClass[]): SchoolClass[] {
  return [...classes].sort((a, b) => a.grade - b.grade || collator.compare(a.name, b.name))
}

/** A sort key that orders classes by grade, then name. */
export function classOrder(schoolClass: Pick<SchoolClass, 'grade' | 'name'> | undefined, fallback = ''): string {
  return schoolClass ? `${String(schoolClass.grade).padStart(2, '0')} ${schoolClass.name}` : `99 ${fallback}`
}

export const STAFF_ROLE_NAMES: Record<string, string> = {
  teacher: '教师',
  school_admin: '校管理员',
  district_admin: '区管理员',
}
