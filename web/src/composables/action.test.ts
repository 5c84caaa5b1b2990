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
})
