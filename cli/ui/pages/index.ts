import type { WorkbenchPage } from '../context.ts';
import { audiencePage } from './audience.ts';
import { customersPage } from './customers.ts';
import { failedEventsPage } from './failed-events.ts';
import { journeysPage } from './journeys.ts';
import { overviewPage } from './overview.ts';
import { previewPage } from './preview.ts';
import { reportPage } from './report.ts';
import { testSendPage } from './test-send.ts';

/** Every page, in navigation order. A new page is a module and a line here. */
export const PAGES: readonly WorkbenchPage[] = [overviewPage, previewPage, audiencePage, journeysPage, customersPage, reportPage, failedEventsPage, testSendPage];
