import { describe, expect, it } from 'vitest'
import { importedNames, styleCandidates } from './vant-styles'

describe('vant styles on demand', () => {
  it('finds the components a module imports from vant, not its types', () => {
    const code = `import { Button as VanButton, ActionSheet, type ActionSheetAction } from 'vant'
import type { ButtonType } from 'vant'
import { showNotify } from "vant"`
    expect(importedNames(code)).toEqual(['Button', 'ActionSheet', 'showNotify'])
  })

  it('maps function APIs to their component styles', () => {
    expect(styleCandidates('ActionSheet')[0]).toBe('action-sheet')
    expect(styleCandidates('showLoadingToast')).toContain('toast')
    expect(styleCandidates('showConfirmDialog')).toContain('dialog')
    expect(styleCandidates('closeToast')).toContain('toast')
  })
})
