// Messages the server sends as a code with parameters (validation problems,
// explain reasons, history summaries, audit details): one file per area and
// language, mounted under `server.<area>.<code>` in the i18n messages.
// `serverText` (utils/serverText.ts) picks the translation or falls back to
// the English text the server sent with the code.

import explainEn from './explain.en'
import explainZh from './explain.zh-CN'
import historyEn from './history.en'
import historyZh from './history.zh-CN'
import validationEn from './validation.en'
import validationZh from './validation.zh-CN'

export const SERVER_AREAS = ['validation', 'explain', 'history'] as const
export type ServerArea = (typeof SERVER_AREAS)[number]

export const serverEn = { validation: validationEn, explain: explainEn, history: historyEn }
export const serverZh = { validation: validationZh, explain: explainZh, history: historyZh }
