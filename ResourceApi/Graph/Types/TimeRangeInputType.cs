using GraphQL.Types;

namespace ResourceApi.Graph.Types;

internal sealed class TimeRangeInput
{
    public DateTimeOffset? Start { get; set; }

    public DateTimeOffset? Stop { get; set; }
}

internal sealed class TimeRangeInputType : InputObjectGraphType<TimeRangeInput>
{
    public TimeRangeInputType()
    {
        Name = "TimeRangeInput";
        Description = "[start, stop) on the Data Pool's timestamp column; omit either end to leave it open.";
        Field<DateTimeOffsetGraphType>("start");
        Field<DateTimeOffsetGraphType>("stop");
    }
}
