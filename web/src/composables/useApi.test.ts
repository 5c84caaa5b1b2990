import { describe, expect, it } from 'vitest'
import { effectScope, nextTick, ref } from 'vue'
import { ApiError } from '@/api/errors'
import { useApi } from './useApi'

function deferred<T>() {
  let resolve!: (value: T) => void
  let reject!: (error: unknown) => void
  const promise = new Promise<T>((res, rej) => {
    resolve = res
    reject = rej
  })
  return { promise, resolve, reject }
}

const flush = () => new Promise((resolve) => setTimeout(resolve, 0))

describe('useApi', () => {
  it('loads, and keeps the error of a failed load until a retry works', async () => {
    let attempt = 0
    const scope = effectScope()
    const state = scope.run(() =>
      useApi(async () => {
        attempt += 1
        if (attempt === 1) throw ApiError.network(new TypeError('offline'))
        return 'data'
      }),
    )!
    await flush()
    expect(state.error?.kind).toBe('network')
    expect(state.loading).toBe(false)
    await state.reload()
    expect(state.error).toBeNull()
    expect(state.data).toBe('data')
    scope.stop()
  })

  it('reloads when its source changes, dropping the old data and any older answer', async () => {
    const id = ref('a')
    const answers: Record<string, ReturnType<typeof deferred<string>>> = {}
    const scope = effectScope()
    const state = scope.run(() =>
      useApi(
        () => {
          answers[id.value] = deferred<string>()
          return answers[id.value]!.promise
        },
        { watch: id },
      ),
    )!
    answers.a!.resolve('A')
    await flush()
    expect(state.data).toBe('A')

    id.value = 'b'
    await nextTick()
    expect(state.data).toBeUndefined() // another child's records never show under this one
    id.value = 'c'
    await nextTick()
    answers.c!.resolve('C')
    answers.b!.resolve('B') // late answer of a superseded request
    await flush()
    expect(state.data).toBe('C')
    scope.stop()
  })

  it('turns an unexpected failure into a plain message', async () => {
    const scope = effectScope()
    const original = console.error
    console.error = () => {}
    const state = scope.run(() => useApi(async () => Promise.reject(new Error('bug'))))!
    await flush()
    console.error = original
    expect(state.error?.kind).toBe('unexpected')
    expect(state.error?.message).toBe('请求没有成功，请稍后重试')
    scope.stop()
  })
})
