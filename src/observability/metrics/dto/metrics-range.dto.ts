import { TimeRangeQueryDto } from '../../../common/time-range/time-range-query.dto';

/** The time range of a metrics report. */
export class MetricsRangeQueryDto extends TimeRangeQueryDto {}
