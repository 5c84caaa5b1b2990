/**
 * Names of classes, students and templates the teacher pages show beside ids (the API's task,
 * completion and correction views name them by id). Each is asked for once per visit.
 */
import { api, ok, type Schemas } from '@/api/client'

export type ClassView = Schemas['ClassView']
export type StudentView = Schemas['StudentView']
export type Template = Schemas['Template']

const classes = new Map<string, Promise<ClassView>>()
const students = new Map<string, Promise<StudentView>>()
const templates = new Map<string, Promise<Template>>()

/** Forget what was fetched (another person signs in on this tab). */
export function forgetNames(): void {
  classes.clear()
  students.clear()
  templates.clear()
}

function cached<T>(cache: Map<string, Promise<T>>, key: string, load: () => Promise<T>): Promise<T> {
  let found = cache.get(key)
  if (!found) {
    found = load()
    cache.set(key, found)
    found.catch(() => cache.delete(key)) // a failure is asked again next time
  }
  return found
}

export function getClass(classId: string): Promise<ClassView> {
  return cached(classes, classId, () => ok(api.GET('/v1/classes/{class_id}', { params: { path: { class_id: classId } } })))
}

/** Several classes by id, as a map (any that fails is left out: the page shows the id). */
export async function classesById(ids: Iterable<string>): Promise<Map<string, ClassView>> {
  const unique = [...new Set(ids)]
  const answers = await Promise.allSettled(unique.map(getClass))
  const found = new Map<string, ClassView>()
  answers.forEach((answer, i) => {
    if (answer.status === 'fulfilled') found.set(unique[i]!, answer.value)
  })
  return found
}

export function getStudent(studentId: string): Promise<StudentView> {
  return cached(students, studentId, () =>
    ok(api.GET('/v1/students/{student_id}', { params: { path: { student_id: studentId } } })),
  )
}

export function getTemplate(templateId: string, version?: number): Promise<Template> {
  return cached(templates, `${templateId}@${version ?? 'latest'}`, () =>
    ok(api.GET('/v1/templates/{template_id}', { params: { path: { template_id: templateId }, query: { version } } })).then(
      (view) => view.definition,
    ),
  )
}
