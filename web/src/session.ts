/**
 * The signed-in person, from `GET /v1/me`: who they are, their role, and whom they may see (a
 * teacher's classes, a guardian's children, a student's own card). For a guardian, the child
 * whose data the family pages show; the choice is remembered per guardian on this device.
 *
 * Read it in components through `useSession()`; the router loads it before any signed-in page.
 */
import { computed, reactive, readonly } from 'vue'
import { api, ok, type ApiClient, type Role, type Schemas } from '@/api/client'

export type Me = Schemas['MeView']
export type StudentCard = Schemas['StudentView']

export const ROLE_NAMES: Record<Role, string> = {
  district_admin: '区管理员',
  school_admin: '校管理员',
  teacher: '教师',
  student: '学生',
  guardian: '家长',
  operator: '运维',
  system: '对接系统',
}

/** Where each role lands after signing in (the path of its first page). */
export const HOME_OF_ROLE: Record<Role, string> = {
  student: '/growth',
  guardian: '/growth',
  teacher: '/teacher/tasks',
  school_admin: '/school/completion',
  district_admin: '/district/tasks',
  operator: '/ops/faults',
  // A machine client never signs in to the web app; listed for the type only.
  system: '/',
}

export function homeFor(role: Role): string {
  return HOME_OF_ROLE[role]
}

const CHILD_KEY_PREFIX = 'growth.child.'

interface SessionState {
  me: Me | null
  childId: string | null
}

const state = reactive<SessionState>({ me: null, childId: null })
let loading: Promise<Me> | null = null

/** `GET /v1/me`, once per sign-in (concurrent callers share the request). */
export function loadSession(client: ApiClient = api): Promise<Me> {
  if (state.me) return Promise.resolve(state.me)
  loading ??= ok(client.GET('/v1/me'))
    .then((me) => {
      state.me = me
      state.childId = rememberedChild(me)
      return me
    })
    .finally(() => {
      loading = null
    })
  return loading
}

/** Forget the person (sign-out, or another person signing in). */
export function clearSession(): void {
  state.me = null
  state.childId = null
  loading = null
}

/**
 * The student whose data the family pages show: a student themself; for a guardian the chosen
 * child (the remembered one if still theirs, else the first); otherwise null.
 */
export function studentInView(me: Me | null, childId: string | null): StudentCard | null {
  if (me === null) return null
  if (me.user.role === 'student') return me.student ?? null
  if (me.user.role !== 'guardian') return null
  return me.children.find((c) => c.id === childId) ?? me.children[0] ?? null
}

/** A guardian picks which child to look at; remembered on this device. */
export function selectChild(childId: string): void {
  const me = state.me
  if (me === null || !me.children.some((c) => c.id === childId)) return
  state.childId = childId
  try {
    window.localStorage.setItem(CHILD_KEY_PREFIX + me.user.id, childId)
  } catch {
    // not remembered across visits; the choice still holds for now
  }
}

function rememberedChild(me: Me): string | null {
  if (me.user.role !== 'guardian') return null
  let stored: string | null = null
  try {
    stored = window.localStorage.getItem(CHILD_KEY_PREFIX + me.user.id)
  } catch {
    stored = null
  }
  return me.children.some((c) => c.id === stored) ? stored : (me.children[0]?.id ?? null)
}

const session = {
  /** The whole `/v1/me` answer; null before it is loaded. */
  me: computed(() => state.me),
  role: computed<Role | null>(() => state.me?.user.role ?? null),
  roleName: computed(() => (state.me ? ROLE_NAMES[state.me.user.role] : '')),
  name: computed(() => state.me?.user.name ?? ''),
  /** The student whose data family pages show (see studentInView). */
  student: computed(() => studentInView(state.me, state.childId)),
  /** A guardian's children (empty for other roles). */
  children: computed(() => state.me?.children ?? []),
  selectChild,
  state: readonly(state),
}

export type Session = typeof session

/** The session, for components: `const { name, student } = useSession()`. */
export function useSession(): Session {
  return session
}
