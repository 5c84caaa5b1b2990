// @vitest-environment jsdom
import { afterEach, describe, expect, it, vi } from 'vitest'
import { createApp, h, nextTick, shallowReactive } from 'vue'
import { ApiError, MESSAGES } from '@/api/errors'
import type { Loadable } from '@/composables/useApi'
import ApiState from './ApiState.vue'

const mounted: Element[] = []

/** Mount ApiState on `state` with some content; answers its root element. */
function mount(state: Loadable<unknown>, props: Record<string, unknown> = {}): HTMLElement {
  const host = document.createElement('div')
  document.body.append(host)
  mounted.push(host)
  createApp({ render: () => h(ApiState, { state, ...props }, () => h('p', { class: 'content' }, '内容')) }).mount(host)
  return host
}

function loadable(over: Partial<Loadable<unknown>>): Loadable<unknown> {
  return shallowReactive({ data: undefined, error: null, loading: false, slow: false, reload: vi.fn(async () => {}), ...over })
}

afterEach(() => {
  for (const host of mounted.splice(0)) host.remove()
})

describe('ApiState', () => {
  it('shows the content once the data is there', () => {
    const host = mount(loadable({ data: { items: [1] } }))
    expect(host.querySelector('.content')?.textContent).toBe('内容')
  })

  it('shows the error in Chinese with a retry button that reloads', async () => {
    const state = loadable({ error: ApiError.network(new TypeError('Failed to fetch')) })
    const host = mount(state)
    const alert = host.querySelector('[role="alert"]')
    expect(alert?.textContent).toContain(MESSAGES.network)
    expect(host.querySelector('.content')).toBeNull()
    const retry = [...host.querySelectorAll('button')].find((b) => b.textContent?.includes('重试'))
    retry?.click()
    await nextTick()
    expect(state.reload).toHaveBeenCalledOnce()
  })

  it('shows a loading state only once the request is slow', async () => {
    const state = shallowReactive(loadable({ loading: true }))
    const host = mount(state)
    expect(host.textContent).not.toContain('正在加载')
    ;(state as { slow: boolean }).slow = true
    await nextTick()
    expect(host.querySelector('[role="status"]')?.textContent).toContain('正在加载')
  })

  it('shows the empty text when there is nothing', () => {
    const host = mount(loadable({ data: [] }), { empty: true, emptyText: '还没有任务' })
    expect(host.textContent).toContain('还没有任务')
    expect(host.querySelector('.content')).toBeNull()
  })
})
