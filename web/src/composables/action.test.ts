import { describe, expect, it, vi } from 'vitest'
import { ApiError } from '@/api/errors'

const vant = vi.hoisted(() => ({
  showNotify: vi.fn(),
  showSuccessToast: vi.fn(),
  showLoadingToast: vi.fn(),
  closeToast: vi.fn(),
}))
vi.mock('vant', () => vant)

const { runAction } = await import('./action')

describe('runAction', () => {
  it('answers the result and says it worked', async () => {
    expect(await runAction(async () => 42, { success: '已提交' })).toBe(42)
    expect(vant.showSuccessToast).toHaveBeenCalledWith('已提交')
  })

  it('tells the person what went wrong, in Chinese, and answers undefined', async () => {
    const failing = async () => {
      throw new ApiError('http', 403, '没有权限进行此操作')
    }
    expect(await runAction(failing)).toBeUndefined()
    expect(vant.showNotify).toHaveBeenCalledWith(expect.objectContaining({ type: 'danger', message: '没有权限进行此操作' }))
  })

  it('hands a refusal to the form before telling the person', async () => {
    const refused = vi.fn()
    const failing = async () => {
      throw new ApiError('http', 422, '请检查填写的内容')
    }
    expect(await runAction(failing, { refused })).toBeUndefined()
    expect(refused).toHaveBeenCalledWith(expect.objectContaining({ status: 422, message: '请检查填写的内容' }))
    expect(vant.showNotify).toHaveBeenCalledWith(expect.objectContaining({ message: '请检查填写的内容' }))
  })

  it('leaves the form alone when it works, or when the page itself failed', async () => {
    const refused = vi.fn()
    vi.spyOn(console, 'error').mockImplementation(() => {})
    expect(await runAction(async () => 'ok', { refused })).toBe('ok')
    expect(
      await runAction(async () => {
        throw new TypeError('a bug')
      }, { refused }),
    ).toBeUndefined()
    expect(refused).not.toHaveBeenCalled()
  })
})
