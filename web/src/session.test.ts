// @vitest-environment jsdom
import { afterEach, describe, expect, it, vi } from 'vitest'
import type { ApiClient } from '@/api/client'
import { clearSession, homeFor, loadSession, selectChild, studentInView, useSession, type Me, type StudentCard } from './session'

function child(id: string, name: string): StudentCard {
  return {
    id,
    name,
    student_no: 'G31011220120*******',
    gender: '女',
    birth_date: '2012-05-01',
    national_id: null,
    school_id: 'sch1',
    class_id: 'c1',
    grade: 7,
    guardian_consent: true,
  }
}

function me(role: Me['user']['role'], children: StudentCard[] = [], student: StudentCard | null = null): Me {
  return {
    user: { id: `u-${role}`, role, name: '王芳', school_id: 'sch1', student_id: student?.id ?? null, mobile: null, email: null, wecom_userid: null, notify_channel: null },
    classes: [],
    children,
    student,
  }
}

/** A client whose GET /v1/me answers `answer`. */
function clientAnswering(answer: Me): ApiClient {
  const GET = vi.fn(async () => ({ data: answer, response: new Response('{}', { status: 200 }) }))
  return { GET } as unknown as ApiClient
}

afterEach(() => {
  clearSession()
  localStorage.clear()
})

describe('homeFor', () => {
  it('sends each role to its first page', () => {
    expect(homeFor('student')).toBe('/growth')
    expect(homeFor('guardian')).toBe('/growth')
    expect(homeFor('teacher')).toBe('/teacher/tasks')
    expect(homeFor('school_admin')).toBe('/school/completion')
    expect(homeFor('district_admin')).toBe('/district/tasks')
  })
})

describe('studentInView', () => {
  it('is the student themself', () => {
    const own = child('s1', '李明')
    expect(studentInView(me('student', [], own), null)).toEqual(own)
  })

  it("is a guardian's chosen child, else the first", () => {
    const a = child('s1', '张一')
    const b = child('s2', '张二')
    expect(studentInView(me('guardian', [a, b]), 's2')).toEqual(b)
    expect(studentInView(me('guardian', [a, b]), null)).toEqual(a)
    expect(studentInView(me('guardian', [a, b]), 'not-mine')).toEqual(a)
    expect(studentInView(me('guardian', []), null)).toBeNull()
  })

  it('is nobody for staff', () => {
    expect(studentInView(me('teacher'), null)).toBeNull()
  })
})

describe('the session', () => {
  it('loads /v1/me once and shares it', async () => {
    const client = clientAnswering(me('teacher'))
    const [first, second] = await Promise.all([loadSession(client), loadSession(client)])
    expect(first).toBe(second)
    expect(client.GET).toHaveBeenCalledTimes(1)
    const session = useSession()
    expect(session.role.value).toBe('teacher')
    expect(session.roleName.value).toBe('教师')
    expect(session.name.value).toBe('王芳')
  })

  it("remembers a guardian's choice of child across sign-ins", async () => {
    const a = child('s1', '张一')
    const b = child('s2', '张二')
    await loadSession(clientAnswering(me('guardian', [a, b])))
    expect(useSession().student.value?.id).toBe('s1')
    selectChild('s2')
    expect(useSession().student.value?.id).toBe('s2')

    clearSession()
    await loadSession(clientAnswering(me('guardian', [a, b])))
    expect(useSession().student.value?.id).toBe('s2')
  })

  it('ignores a child who is not theirs', async () => {
    await loadSession(clientAnswering(me('guardian', [child('s1', '张一')])))
    selectChild('someone-else')
    expect(useSession().student.value?.id).toBe('s1')
  })
})
