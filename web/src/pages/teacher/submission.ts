/**
 * A submission's outcome in words: what became of the rows, and each group of problems (one
 * per error code: how many, where, which columns, the first message as an example).
 */
import type { Schemas } from '@/api/client'
import type { SubmissionView } from './tasks'

export type ErrorGroup = Schemas['ErrorGroupView']

/**
 * Short Chinese names of the kinds of problem a file can have (the API sends each group's
 * code and a full Chinese example; this names the group). Unknown codes use the example only.
 */
const KINDS: Record<string, string> = {
  FILE_EMPTY: '文件为空',
  FILE_HEADER_ONLY: '没有数据行',
  FILE_NOT_SPREADSHEET: '不是电子表格',
  FILE_ENCRYPTED: '文件有密码',
  FILE_ZIP_BOMB: '文件结构异常',
  FILE_XML_ENTITY: '文件结构异常',
  FILE_CORRUPT: '文件已损坏',
  FILE_ENCODING: '文字编码无法识别',
  FILE_TOO_LARGE: '文件过大',
  FILE_TOO_MANY_ROWS: '行数过多',
  FILE_TOO_MANY_COLUMNS: '列数过多',
  FILE_TOO_MANY_CELLS: '单元格过多',
  FILE_NO_SHEET: '没有工作表',
  FILE_NO_HEADER: '找不到表头',
  FILE_MISSING_COLUMNS: '缺少必填列',
  FILE_DUPLICATE_COLUMN: '列名重复',
  FILE_NO_VALID_ROWS: '没有可导入的行',
  FILE_PROCESSING_FAILED: '处理失败',
  FILE_NO_CLASS_SHEET: '没有本班的工作表',
  FILE_NO_CLASS_SHEETS: '没有班级工作表',
  UPLOAD_REUSED: '重复提交',
  FILE_EXTRA_COLUMN: '多余的列',
  FILE_UNNAMED_COLUMN: '没有列名的列',
  FILE_OTHER_SHEETS: '其他工作表未读取',
  FILE_DERIVED_COLUMN: '计算列已忽略',
  FILE_SHEETS_NOT_CLASSES: '工作表不是班级',
  SHEET_RESULT: '各工作表结果',
  ROWS_REPLACE_OTHER_TASK: '覆盖其他任务的数据',
  REQUIRED: '必填项为空',
  TOO_LONG: '内容过长',
  NOT_IN_LIST: '不在可选范围内',
  NOT_A_NUMBER: '不是数字',
  NOT_AN_INTEGER: '不是整数',
  OUT_OF_RANGE: '数值超出范围',
  CELL_ERROR: '公式错误值',
  DATE_FORMAT: '日期无法识别',
  DATE_AMBIGUOUS: '日期有歧义',
  DATE_INVALID: '日期不存在',
  DATE_SERIAL: '日期成了数字',
  DATE_OUT_OF_RANGE: '日期超出范围',
  DATE_IN_FUTURE: '日期晚于今天',
  DATE_OUTSIDE_TERM: '日期不在本学期',
  DATE_ORDER: '日期先后不对',
  DURATION_FORMAT: '时间格式不对',
  STUDENT_NO_FORMAT: '学籍号格式不对',
  STUDENT_NO_CHECK_DIGIT: '学籍号校验位不对',
  STUDENT_NO_BIRTH_DATE: '学籍号中的出生日期不对',
  NATIONAL_ID_FORMAT: '身份证号格式不对',
  NATIONAL_ID_LEGACY: '旧身份证号',
  NATIONAL_ID_CHECK_DIGIT: '身份证号校验位不对',
  NATIONAL_ID_BIRTH_DATE: '身份证号中的出生日期不对',
  ID_AS_NUMBER: '长号码被存成数字',
  MOBILE_FORMAT: '手机号格式不对',
  SCORE_ABOVE_FULL_MARKS: '得分高于满分',
  ID_MISMATCH_BIRTH_DATE: '出生日期与身份证不符',
  ID_MISMATCH_GENDER: '性别与身份证不符',
  ID_MISMATCH_STUDENT_NO: '学籍号与身份证不符',
  ITEM_REQUIRED_FOR_GROUP: '缺少必测项目',
  ITEM_NOT_APPLICABLE: '不适用的项目',
  DUPLICATE_ROW: '重复的行',
  ROW_TOO_MANY_CELLS: '行内容过多',
  NOT_IN_ROSTER: '不在本班名单中',
  ROSTER_NAME_MISMATCH: '姓名与名单不符',
  ROSTER_CLASS_MISMATCH: '班级与名单不符',
  STUDENT_AMBIGUOUS: '无法确定是哪位学生',
  TASK_VALUE_CONFLICT: '与任务规定的值不一致',
  SUBJECT_NOT_TAUGHT: '不是您任教的学科',
}

/** The group's name: a short Chinese name of its kind, or its example when the kind is new. */
export function errorKind(group: Pick<ErrorGroup, 'code' | 'example'>): string {
  return KINDS[group.code] ?? (group.example || '其他问题')
}

/** 「第 5 行」 or 「第 5–12 行」; '' for a problem of the whole file (row 1 or none). */
export function rowsText(group: Pick<ErrorGroup, 'first_row' | 'last_row' | 'count'>): string {
  if (group.first_row === group.last_row) return `第 ${group.first_row} 行`
  return `第 ${group.first_row}–${group.last_row} 行`
}

/** 「共 30 行：导入 28 行，未导入 2 行」; null before the file has been read. */
export function countsText(submission: Pick<SubmissionView, 'counts'>): string | null {
  const counts = submission.counts
  if (!counts) return null
  return `共 ${counts.total} 行：导入 ${counts.accepted} 行，未导入 ${counts.rejected} 行`
}

/** Errors first (what stopped rows), then warnings; within each, the most frequent first. */
export function sortedGroups(groups: readonly ErrorGroup[]): ErrorGroup[] {
  return [...groups].sort((a, b) => {
    if (a.severity !== b.severity) return a.severity === 'error' ? -1 : 1
    return b.count - a.count || a.first_row - b.first_row
  })
}

/** What to say while the pipeline works on a file. */
export function progressText(status: SubmissionView['status']): string {
  switch (status) {
    case 'awaiting_upload':
      return '正在等待文件到达…'
    case 'received':
      return '文件已收到，正在排队校验…'
    case 'validating':
      return '正在逐行校验…'
    default:
      return ''
  }
}

/** One line for a finished submission, for screen readers and the history list. */
export function outcomeText(submission: SubmissionView): string {
  const counts = countsText(submission)
  return counts ? `${submission.status_zh}，${counts}` : submission.status_zh
}
